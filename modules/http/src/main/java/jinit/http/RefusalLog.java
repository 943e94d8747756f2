package jinit.http;

import java.util.function.Consumer;

/**
 * Logs refused requests on the console, throttled: a flood of bad requests must not drown the serial
 * console (at 115200 baud a few hundred lines a second is all it takes). A bucket of 20 lines refills at
 * one line a second; what is suppressed is counted and reported with the next line that gets through.
 */
final class RefusalLog {
    static final int BURST = 20;
    static final long REFILL_NANOS = 1_000_000_000L;

    private final Consumer<String> console;
    private double tokens = BURST;
    private long lastRefill = System.nanoTime();
    private long suppressed;

    RefusalLog(Consumer<String> console) {
        this.console = console;
    }

    synchronized void refused(int status, Integer uid, String method, String path, String rule) {
        long now = System.nanoTime();
        tokens = Math.min(BURST, tokens + (double) (now - lastRefill) / REFILL_NANOS);
        lastRefill = now;
        if (tokens < 1) {
            suppressed++;
            return;
        }
        tokens--;
        String more = suppressed > 0 ? " (" + suppressed + " more refusals not shown)" : "";
        suppressed = 0;
        console.accept("refused " + status + ": uid " + (uid == null ? "unknown" : uid) + " " + method + " "
                + printable(path, 200) + ": " + printable(rule, 300) + more);
    }

    /**
     * What a client sent, fit for a console: a rule's message may quote a header (a Host of up to 16 KiB), and an
     * escape sequence in it would reach the terminal.
     */
    private static String printable(String text, int max) {
        String cut = text.length() > max ? text.substring(0, max) + "…" : text;
        return cut.replaceAll("[\\p{Cntrl}]", "?");
    }
}
