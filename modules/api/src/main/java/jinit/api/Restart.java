package jinit.api;

/**
 * When and how fast a job comes back after its process ends.
 *
 * <p>The delay before restart n (counting from 1) is {@code delay × factor^(n-1)}, capped at
 * {@code maxDelay}; it falls back to {@code delay} once a process has stayed up for {@code resetAfter}.
 * When {@code burst} restarts have already happened within the last {@code window}, the job gives up.
 *
 * @param policy     whether to restart at all
 * @param delay      first delay, ms. Default 100: systemd's RestartSec, quick enough to hide a crash
 * @param maxDelay   ceiling, ms. Default 30 000: a crash loop then costs one start per 30 s at most
 * @param factor     growth per consecutive restart. Default 2: Docker's doubling
 * @param resetAfter uptime after which the delay resets, ms. Default 10 000: Docker's rule
 * @param burst      restarts allowed per window. Default 10
 * @param window     the window, ms. Default 60 000: with the doubling above a job that never stays
 *                   up gives up after about 50 s and 10 restarts (systemd gives up after 5 in 10 s,
 *                   too quick for a service waiting on a slow device; runit never gives up at all)
 */
public record Restart(Policy policy, long delay, long maxDelay, double factor, long resetAfter, int burst, long window) {

    public enum Policy {
        NO("no"), ON_FAILURE("on-failure"), ALWAYS("always");

        private final String wire;

        Policy(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        public static Policy parse(String text) {
            for (Policy policy : values()) if (policy.wire.equals(text)) return policy;
            return null;
        }
    }

    public static final long DEFAULT_DELAY = 100;
    public static final long DEFAULT_MAX_DELAY = 30_000;
    public static final double DEFAULT_FACTOR = 2.0;
    public static final long DEFAULT_RESET_AFTER = 10_000;
    public static final int DEFAULT_BURST = 10;
    public static final long DEFAULT_WINDOW = 60_000;

    /** No restarts: the original init's behaviour, and the least surprising for one-shot jobs. */
    public static final Restart NEVER = withPolicy(Policy.NO);

    public static Restart withPolicy(Policy policy) {
        return new Restart(policy, DEFAULT_DELAY, DEFAULT_MAX_DELAY, DEFAULT_FACTOR, DEFAULT_RESET_AFTER, DEFAULT_BURST, DEFAULT_WINDOW);
    }

    /** The delay before the n-th consecutive restart (n ≥ 1), within [delay, maxDelay]. */
    public long delayBefore(int consecutive) {
        double value = delay;
        for (int i = 1; i < consecutive && value < maxDelay; i++) value *= factor;
        return (long) Math.min(Math.max(value, delay), maxDelay);
    }
}
