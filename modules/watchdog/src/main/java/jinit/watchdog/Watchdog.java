package jinit.watchdog;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import jinit.posix.Posix;
import jinit.posix.PosixException;
import jinit.posix.WatchdogDevice;
import jinit.supervisor.Supervisor;

/**
 * Init's watchdog, armed or not: which device, from the kernel command line ({@code JINIT_WATCHDOG}) or found in
 * /dev, and the keeper that pets it. Armed only as PID 1, unless a device is named: a daemon run as an ordinary
 * process has no business resetting the machine it runs on.
 *
 * <p>{@code JINIT_WATCHDOG} is {@code off}, {@code PATH}, {@code PATH:SECONDS} or {@code SECONDS} (the device found
 * in /dev, with that timeout). Unset, PID 1 uses /dev/watchdog0, else /dev/watchdog, with
 * {@value #DEFAULT_TIMEOUT_SECONDS} s.
 */
public final class Watchdog {
    public static final String VARIABLE = "JINIT_WATCHDOG";
    /** A quarter of it between pets leaves three quarters for a slow round on a busy board. */
    public static final int DEFAULT_TIMEOUT_SECONDS = 20;
    /**
     * A round of probes takes at most 8 s when init is healthy ({@link Probes#LOCK_BOUND_MILLIS} plus
     * {@link Probes#API_BOUND_MILLIS}), and rounds start every timeout / 4: 12 s leaves 3 s + 8 s + 1 s to spare.
     */
    public static final int MIN_TIMEOUT_SECONDS = 12;
    static final int WARM_UP_ROUNDS = 3;
    static final List<String> DEVICES = List.of("/dev/watchdog0", "/dev/watchdog");

    /** What JINIT_WATCHDOG asks for: a device (null: look in /dev) and a timeout, or nothing at all. */
    record Setting(boolean off, String device, int timeoutSeconds) {
        static Setting parse(String value) throws IllegalArgumentException {
            if (value == null || value.isBlank()) return new Setting(false, null, DEFAULT_TIMEOUT_SECONDS);
            value = value.strip();
            if (value.equals("off")) return new Setting(true, null, 0);
            String device = value;
            int timeout = DEFAULT_TIMEOUT_SECONDS;
            int colon = value.lastIndexOf(':');
            if (colon >= 0 || value.chars().allMatch(Character::isDigit)) {
                device = colon >= 0 ? value.substring(0, colon) : "";
                String seconds = value.substring(colon + 1);
                try {
                    timeout = Integer.parseInt(seconds);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + seconds + "' is no number of seconds");
                }
                if (timeout < 1) throw new IllegalArgumentException("a timeout of " + timeout + " s");
            }
            if (!device.isEmpty() && !device.startsWith("/")) {
                throw new IllegalArgumentException("'" + device + "' is no absolute path");
            }
            return new Setting(false, device.isEmpty() ? null : device, timeout);
        }
    }

    private volatile WatchdogKeeper keeper;
    private volatile String disarmedBecause;
    /** A shutdown began before the device was opened: it is then left closed. */
    private volatile boolean shuttingDown;

    private Watchdog(String disarmedBecause) {
        this.disarmedBecause = disarmedBecause;
    }

    /** No watchdog, and why: for GET /system. */
    public static Watchdog disarmed(String because) {
        return new Watchdog(because);
    }

    /**
     * Finds the device and starts the platform thread "jinit-watchdog" (a daemon: it must not keep an exiting JVM
     * alive), which opens it, sets its timeout and pets it; call this once the API serves, since petting needs
     * every probe to pass. Any failure leaves the board without a watchdog and says why on the console.
     */
    public static Watchdog start(Posix posix, Map<String, String> env, boolean pid1, Supervisor supervisor,
                                 InetSocketAddress api, String token, Consumer<String> console) {
        Setting setting;
        try {
            setting = Setting.parse(env.get(VARIABLE));
        } catch (IllegalArgumentException e) {
            console.accept("watchdog: ignoring " + VARIABLE + "=" + env.get(VARIABLE) + ": " + e.getMessage()
                    + "; use off, PATH, PATH:SECONDS or SECONDS");
            setting = new Setting(false, null, DEFAULT_TIMEOUT_SECONDS);
        }
        if (setting.off()) return disarmed(VARIABLE + "=off");
        if (setting.device() == null && !pid1) return disarmed("not PID 1, and no device named in " + VARIABLE);
        String path = setting.device() != null ? setting.device()
                : DEVICES.stream().filter(p -> Files.exists(Path.of(p))).findFirst().orElse(null);
        if (path == null) return disarmed("no watchdog device (" + String.join(", ", DEVICES) + ")");
        int timeout = setting.timeoutSeconds();
        if (timeout < MIN_TIMEOUT_SECONDS) {
            console.accept("watchdog: a timeout of " + timeout + " s is below the least that a healthy init keeps, "
                    + MIN_TIMEOUT_SECONDS + " s; using that");
            timeout = MIN_TIMEOUT_SECONDS;
        }
        List<Probe> probes = List.of(Probes.reaper(posix::unreapedChild, System::nanoTime), Probes.api(api, token),
                Probes.supervisor(supervisor));
        Watchdog watchdog = new Watchdog("arming " + path);
        int wanted = timeout;
        Thread.ofPlatform().name("jinit-watchdog").daemon(true).start(() -> {
            WatchdogKeeper keeper = watchdog.arm(posix, path, wanted, probes, console);
            if (keeper != null) keeper.keep();
        });
        return watchdog;
    }

    /** Opens the device and sets its timeout, after a round of probes has passed; null when there is no watchdog. */
    private WatchdogKeeper arm(Posix posix, String path, int timeout, List<Probe> probes, Consumer<String> console) {
        warmUp(probes, console);
        if (shuttingDown) {
            disarmedBecause = "a shutdown began before the watchdog was armed";
            return null;
        }
        WatchdogDevice device;
        try {
            device = WatchdogDevice.open(posix, path);
        } catch (PosixException e) {
            console.accept("watchdog: " + e.getMessage() + "; no watchdog");
            disarmedBecause = e.getMessage();
            return null;
        }
        String identity;
        try {
            WatchdogDevice.Identity id = device.identity();
            identity = id.name();
            int set = (id.options() & WatchdogDevice.WDIOF_SETTIMEOUT) != 0 ? device.setTimeout(timeout) : device.timeout();
            if (set != timeout) console.accept("watchdog: " + path + " runs with " + set + " s, not " + timeout + " s");
            timeout = set;
        } catch (PosixException e) {
            // ENOTTY: no watchdog behind this path. Closed without the magic close, as ever: a real one stays armed.
            console.accept("watchdog: " + e.getMessage() + "; not a watchdog I can drive, so none");
            posix.close(device.fd());
            disarmedBecause = e.getMessage();
            return null;
        }
        WatchdogKeeper armed = new WatchdogKeeper(device::keepAlive, path, identity, timeout, probes, System::nanoTime,
                InstantSource.system(), Thread::sleep, console);
        console.accept("watchdog: " + path + " (" + identity + ") armed, timeout " + timeout + " s, petted every "
                + armed.intervalMillis() + " ms while " + probes.stream().map(Probe::name).toList() + " make progress");
        keeper = armed;
        return armed;
    }

    /**
     * Runs the probes until a round passes (at most {@value #WARM_UP_ROUNDS}) before the device is opened: the first
     * request of a fresh JVM loads the classes of its path, which took more than the API's bound under QEMU's
     * emulation, and would have cost a pet right after arming.
     */
    private static void warmUp(List<Probe> probes, Consumer<String> console) {
        String stalled = null;
        try {
            for (int round = 0; round < WARM_UP_ROUNDS; round++) {
                stalled = null;
                for (Probe probe : probes) {
                    String reason = Probes.check(probe);
                    if (reason != null) stalled = probe.name() + ": " + reason;
                }
                if (stalled == null) return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        console.accept("watchdog: arming although a probe failed before it (" + stalled + ")");
    }

    public boolean armed() {
        return keeper != null;
    }

    /** A shutdown step begins, and may take {@code budgetMillis}; petting goes on while it keeps to that. */
    public void shutdownStep(String name, long budgetMillis) {
        shuttingDown = true;
        WatchdogKeeper current = keeper;
        if (current != null) current.shutdownStep(name, budgetMillis);
    }

    /** The final reboot(2) is next: petting stops, the watchdog stays armed. */
    public void finalStep() {
        shuttingDown = true;
        WatchdogKeeper current = keeper;
        if (current != null) current.finalStep();
    }

    /** For GET /system. */
    public Map<String, Object> status() {
        WatchdogKeeper current = keeper;
        if (current != null) return current.status();
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("armed", false);
        status.put("reason", disarmedBecause);
        return status;
    }
}
