package jinit.boot;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * Waits for a condition that will become true, polling. The limits are generous on purpose: the
 * tests assert what happens, never how fast, because a shared 2-core machine can stall for seconds.
 */
final class Eventually {
    static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final long POLL_MS = 20;

    private Eventually() {}

    /** Polls {@code probe} until {@code done} accepts its value, and returns that value. */
    static <T> T await(String what, Callable<T> probe, Predicate<? super T> done) throws Exception {
        return await(what, PATIENCE, probe, done);
    }

    static <T> T await(String what, Duration patience, Callable<T> probe, Predicate<? super T> done) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            T value = probe.call();
            if (done.test(value)) return value;
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + patience.toSeconds() + " s for " + what + "; last seen: " + value);
            }
            Thread.sleep(POLL_MS);
        }
    }
}
