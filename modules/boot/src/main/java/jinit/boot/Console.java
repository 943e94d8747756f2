package jinit.boot;

import java.util.Locale;

/**
 * init's own messages. Stamped with seconds since boot, like the kernel's, so a user reading a
 * serial console can line them up with kernel lines and see where a boot or shutdown stalls.
 */
final class Console {
    private Console() {}

    static void log(String message) {
        // On Linux, System.nanoTime() is CLOCK_MONOTONIC: time since boot, the kernel's printk clock.
        double uptime = System.nanoTime() / 1e9;
        System.err.printf(Locale.ROOT, "[%9.3f] jinit: %s%n", uptime, message);
    }
}
