package jinit.boot;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * What init does when part of it dies, or its heap stays exhausted: it fails stop, in order.
 *
 * <p>A platform thread is part of init itself: the reaper, the spawner, the output pump, the scheduler, the
 * HTTP dispatcher and its timers, a signal handler, the shutdown. Each catches what it can survive; a throwable
 * that reaches this handler means that part is gone, and init without it is half alive: jobs block on full
 * pipes, zombies pile up, or the API stops answering. So init stops: the shutdown sequence, then as PID 1 a
 * reboot (an exit would panic the kernel, a halt would leave the device down for good), elsewhere exit status
 * {@value #EXIT_STATUS}. (-XX:+ExitOnOutOfMemoryError or -XX:+CrashOnOutOfMemoryError would end PID 1 on the
 * spot: a kernel panic, with no sync.)
 *
 * <p>An OutOfMemoryError that only costs one request (its virtual thread dies; the exchange is closed) or one
 * log write (dropped and counted) is survived: the budgets keep init's own data well inside its heap, so a
 * spike passes. If such errors keep coming for {@link #EXHAUSTED_FOR_MS} with no quiet gap of
 * {@link #QUIET_GAP_MS}, the heap is not coming back, and init fails stop the same way.
 *
 * <p>The orderly stop needs heap, which may be what ran out: a reserve held since start is let go first. If
 * the stop has not ended init within {@link #FORCE_AFTER_MS}, the forced stop runs instead.
 */
final class FailStop implements Thread.UncaughtExceptionHandler {
    /** sysexits.h's EX_SOFTWARE: an internal software error. */
    static final int EXIT_STATUS = 70;
    /** Heap kept back for the orderly stop: its log lines, the job list, a scan of /proc. */
    static final int RESERVE_BYTES = 1 << 20;
    /** Past the orderly stop's own worst case: 10 s for jobs, 2 s for strays twice, then the sync. */
    static final long FORCE_AFTER_MS = 30_000;
    /** Out of memory again and again for this long is a heap that stays exhausted. */
    static final long EXHAUSTED_FOR_MS = 10_000;
    /** This long without an OutOfMemoryError ends a streak of them: that spike has passed. */
    static final long QUIET_GAP_MS = 5_000;
    private static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** How init stops in order: {@link Shutdown#request}. */
    @FunctionalInterface
    interface OrderlyStop {
        void request(Shutdown.Action action, int exitStatus, String reason);
    }

    private final boolean pid1;
    private final Runnable forcedStop;
    private final long forceAfterMillis;
    /** Made at start: building the line when it is needed could fail for want of heap. */
    private final String overdue;
    private final Consumer<String> console;
    private final LongSupplier nanoTime;
    private final AtomicBoolean failing = new AtomicBoolean();
    private volatile byte[] reserve = new byte[RESERVE_BYTES];
    private volatile OrderlyStop orderly;

    // Guarded by this: the current streak of survived OutOfMemoryErrors, and the throttle of their log lines.
    private boolean inStreak;
    private long streakStart;
    private long lastSurvived;
    private long lastLogged;
    private long unlogged;

    /**
     * @param forcedStop what ends init when the orderly stop cannot: sync and reboot(2) as PID 1, a halt elsewhere
     * @param nanoTime   the clock for streaks and throttling ({@code System::nanoTime})
     */
    FailStop(boolean pid1, Runnable forcedStop, long forceAfterMillis, Consumer<String> console, LongSupplier nanoTime) {
        this.pid1 = pid1;
        this.forcedStop = forcedStop;
        this.forceAfterMillis = forceAfterMillis;
        this.overdue = "the orderly stop did not end init within " + forceAfterMillis + " ms; forcing it";
        this.console = console;
        this.nanoTime = nanoTime;
        this.lastLogged = nanoTime.getAsLong() - LOG_EVERY_NANOS;
    }

    /** From now on init fails stop through {@code stop}; before, only the forced stop can end it. */
    void stopWith(OrderlyStop stop) {
        this.orderly = stop;
    }

    boolean holdsReserve() {
        return reserve != null;
    }

    @Override
    public void uncaughtException(Thread thread, Throwable error) {
        if (!thread.isVirtual()) {
            failStop(thread.getName(), error);
            return;
        }
        try {
            if (error instanceof OutOfMemoryError outOfMemory) survived("a request's thread", outOfMemory);
            else lost("a request's thread died of " + error + "; its answer is lost, init carries on");
        } catch (Throwable unsaid) {
            // Out of memory even for the line: the request is lost either way.
        }
    }

    /** A log write was lost to an OutOfMemoryError (the pump drops it and carries on): {@link jinit.supervisor.LogBudget}'s listener. */
    void survived(OutOfMemoryError error) {
        try {
            survived("a log write", error);
        } catch (Throwable unsaid) {
            // The pump must not be stopped by its own report.
        }
    }

    private void survived(String what, OutOfMemoryError error) {
        long now = nanoTime.getAsLong();
        boolean exhausted;
        synchronized (this) {
            if (!inStreak || now - lastSurvived >= TimeUnit.MILLISECONDS.toNanos(QUIET_GAP_MS)) {
                inStreak = true;
                streakStart = now;
            }
            lastSurvived = now;
            exhausted = now - streakStart >= TimeUnit.MILLISECONDS.toNanos(EXHAUSTED_FOR_MS);
        }
        if (exhausted) failStop(null, error);
        else lost(what + " was lost to " + error + "; init carries on");
    }

    /** Logs a loss init survives, once a second at most, with how many went unlogged since. */
    private void lost(String message) {
        long now = nanoTime.getAsLong();
        long skipped;
        synchronized (this) {
            if (now - lastLogged < LOG_EVERY_NANOS) {
                unlogged++;
                return;
            }
            lastLogged = now;
            skipped = unlogged;
            unlogged = 0;
        }
        say(message + (skipped > 0 ? " (" + skipped + " more since the last such line)" : ""));
    }

    /** @param threadName the thread that died, or null when the heap stayed exhausted */
    private void failStop(String threadName, Throwable error) {
        reserve = null; // first, and allocating nothing: all that follows may need this heap
        if (!failing.compareAndSet(false, true)) {
            try {
                if (threadName != null) say("thread " + threadName + " died too: " + error);
            } catch (Throwable unsaid) {
                // The stop under way is what matters.
            }
            return;
        }
        try {
            String cause = threadName != null ? "the death of thread " + threadName
                    : "a heap that stayed exhausted for " + EXHAUSTED_FOR_MS / 1000 + " s";
            say("fatal: " + cause + " (" + error + "); init cannot go on like this, so it "
                    + (pid1 ? "reboots" : "exits with status " + EXIT_STATUS) + " after an orderly shutdown");
            // Not a daemon thread: were every other thread to die, the JVM must not end with status 0 meanwhile.
            Thread.ofPlatform().name("jinit-failstop").daemon(false).start(this::forceWhenOverdue);
            OrderlyStop stop = orderly;
            if (stop == null) throw new IllegalStateException("init had not finished starting");
            stop.request(pid1 ? Shutdown.Action.REBOOT : Shutdown.Action.EXIT, EXIT_STATUS, cause);
        } catch (Throwable e) {
            try {
                say("no orderly stop (" + e + "); forcing it");
            } finally {
                forcedStop.run();
            }
        }
    }

    private void forceWhenOverdue() {
        try {
            Thread.sleep(forceAfterMillis);
        } catch (InterruptedException e) {
            // Nobody interrupts this thread; if someone does, the stop is overdue all the same.
        }
        say(overdue);
        // Forcing needs a little heap too (a native call, a line), and the heap may still be exhausted: a failed try
        // must not end this thread, the last one that can end init. Again every second, until one gets through.
        while (true) {
            try {
                forcedStop.run();
                return; // as PID 1 it does not return; a test's stand-in does
            } catch (Throwable e) {
                // Garbage is still collected meanwhile; the next try may find room.
            }
            try {
                Thread.sleep(1_000);
            } catch (InterruptedException e) {
                // As above: nobody interrupts this thread.
            }
        }
    }

    /** The caller builds the line, and must be ready for that to fail too: only the printing is guarded here. */
    private void say(String message) {
        try {
            console.accept(message);
        } catch (Throwable unsaid) {
            // Out of memory even for the line: stopping matters more than saying so.
        }
    }
}
