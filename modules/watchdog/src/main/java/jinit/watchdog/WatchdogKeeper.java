package jinit.watchdog;

import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Pets an open watchdog, every {@code timeout / 4}, but only in a round where every {@link Probe} shows progress: a
 * loop that pets on a timer alone would keep a hung init alive for ever. A round that finds a probe stalled skips the
 * pet, so the board resets one timeout after the last good round.
 *
 * <p>During a shutdown it goes on petting while each step keeps within its budget, and stops once the last step (the
 * final reboot(2)) is reached or a step overruns: a shutdown that hangs still resets the board. It never writes the
 * magic close, so the watchdog stays armed until the machine resets.
 */
public final class WatchdogKeeper {
    /** What the keeper needs of the device once it is open and its timeout set. */
    @FunctionalInterface
    public interface Device {
        void keepAlive() throws Exception;
    }

    /** How the keeper waits between rounds; a test's clock advances instead. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(long millis) throws InterruptedException;
    }

    private final Device device;
    private final String path;
    private final String identity;
    private final int timeoutSeconds;
    private final long intervalMillis;
    private final List<Probe> probes;
    private final LongSupplier nanoTime;
    private final InstantSource wallClock;
    private final Sleeper sleeper;
    private final Consumer<String> console;

    // Written by the keeper's thread (and the shutdown's), read by GET /system.
    private volatile Instant lastPet;
    private volatile long pets;
    private volatile String stalledProbe;
    private volatile String lastReported;
    private volatile String petError;
    // The shutdown under way: its step, when it began and how long it may take. Null while init runs normally.
    private volatile Step step;
    private volatile boolean finalStep;

    private record Step(String name, long startNanos, long budgetMillis) {}

    /**
     * @param timeoutSeconds the timeout the device runs with (as the driver set it)
     * @param probes         checked in this order each round; the first that is stalled ends the round
     */
    public WatchdogKeeper(Device device, String path, String identity, int timeoutSeconds, List<Probe> probes,
                          LongSupplier nanoTime, InstantSource wallClock, Sleeper sleeper, Consumer<String> console) {
        this.device = device;
        this.path = path;
        this.identity = identity;
        this.timeoutSeconds = timeoutSeconds;
        this.intervalMillis = timeoutSeconds * 1000L / 4;
        this.probes = List.copyOf(probes);
        this.nanoTime = nanoTime;
        this.wallClock = wallClock;
        this.sleeper = sleeper;
        this.console = console;
    }

    public long intervalMillis() {
        return intervalMillis;
    }

    /** Rounds every {@link #intervalMillis()}, for ever: the body of the thread "jinit-watchdog". */
    void keep() {
        while (true) {
            long began = nanoTime.getAsLong();
            try {
                round();
                long spent = (nanoTime.getAsLong() - began) / 1_000_000;
                sleeper.sleep(Math.max(0, intervalMillis - spent));
            } catch (InterruptedException e) {
                // Nobody interrupts this thread; a round is simply cut short.
            }
        }
    }

    /** One round: check every probe, and pet when none is stalled. Returns whether it petted. */
    boolean round() throws InterruptedException {
        if (finalStep) return false;
        String stalled = shutdownOverrun();
        String who = stalled == null ? null : "shutdown";
        for (int i = 0; stalled == null && i < probes.size(); i++) {
            Probe probe = probes.get(i);
            stalled = Probes.check(probe);
            if (stalled != null) who = probe.name();
        }
        if (finalStep) return false; // the last step was reached while the probes ran
        if (stalled != null) {
            stalledProbe = who;
            report("watchdog: " + who + " shows no progress (" + stalled + "); not petting " + path
                    + ", the board resets unless it recovers");
            return false;
        }
        if (stalledProbe != null) {
            console.accept("watchdog: " + stalledProbe + " makes progress again; petting resumes");
            stalledProbe = null;
            lastReported = null;
        }
        try {
            device.keepAlive();
            pets++;
            lastPet = wallClock.instant();
            petError = null;
            return true;
        } catch (Exception e) {
            if (petError == null) console.accept("watchdog: petting " + path + " failed: " + e.getMessage());
            petError = String.valueOf(e.getMessage());
            return false;
        }
    }

    /** A failing probe is said once while it stays failing (the console is slow and a reset is coming). */
    private void report(String line) {
        String key = stalledProbe;
        if (key.equals(lastReported)) return;
        lastReported = key;
        console.accept(line);
    }

    private String shutdownOverrun() {
        Step current = step;
        if (current == null) return null;
        long tookMillis = (nanoTime.getAsLong() - current.startNanos) / 1_000_000;
        return tookMillis > current.budgetMillis
                ? "step '" + current.name + "' has taken " + tookMillis + " ms of its " + current.budgetMillis + " ms"
                : null;
    }

    /** A shutdown step begins; petting goes on while it keeps within {@code budgetMillis}. */
    public void shutdownStep(String name, long budgetMillis) {
        step = new Step(name, nanoTime.getAsLong(), budgetMillis);
    }

    /** The final reboot(2) comes next: no more pets, so if it hangs the watchdog resets the board. */
    public void finalStep() {
        finalStep = true;
        console.accept("watchdog: last pet done; " + path + " stays armed through reboot()");
    }

    /** For GET /system: what a user checking a board wants to know. */
    public Map<String, Object> status() {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("armed", true);
        status.put("device", path);
        status.put("identity", identity);
        status.put("timeoutSeconds", timeoutSeconds);
        status.put("petIntervalMillis", intervalMillis);
        Instant pet = lastPet;
        status.put("lastPet", pet == null ? null : pet.toString());
        status.put("pets", pets);
        status.put("probes", probes.stream().map(Probe::name).toList());
        status.put("stalled", stalledProbe);
        status.put("petError", petError);
        Step current = step;
        status.put("shutdownStep", finalStep ? "final" : current == null ? null : current.name);
        return status;
    }
}
