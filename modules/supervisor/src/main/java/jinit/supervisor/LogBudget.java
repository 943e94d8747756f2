package jinit.supervisor;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The heap all jobs' logs may take together. Each ring has its own limit ({@code logBytes}), but a thousand
 * chatty jobs at 256 KiB each would outgrow init's heap, and an OutOfMemoryError in PID 1 is the one
 * failure nothing recovers from. Rings report the memory they really hold (see {@link LogRing}), so this
 * bounds the heap, not just the text. When a write takes the total over the budget, the biggest rings give
 * back their oldest blocks until the total is an eighth under it: every ring is cut to one common level,
 * so small logs keep everything and no job can push out another's last lines.
 */
public final class LogBudget {
    /** Sized for the image's 128 MB heap cap, with room for a full job table and the API. */
    public static final long DEFAULT_BYTES = 32L << 20;

    private final long limit;
    private final Consumer<OutOfMemoryError> outOfMemory;
    private final AtomicLong held = new AtomicLong();
    private final Set<LogRing> holders = ConcurrentHashMap.newKeySet();
    private final ReentrantLock rebalancing = new ReentrantLock();

    public LogBudget(long limit) {
        this(limit, error -> { });
    }

    /**
     * @param outOfMemory told of each write a ring lost because the heap was exhausted (something other than
     *                    logs took it); called on the writing thread, under that ring's lock
     */
    public LogBudget(long limit, Consumer<OutOfMemoryError> outOfMemory) {
        if (limit <= 0) throw new IllegalArgumentException("a log budget must be positive");
        this.limit = limit;
        this.outOfMemory = outOfMemory;
    }

    /** Heap all rings hold now. */
    public long held() {
        return held.get();
    }

    void outOfMemory(OutOfMemoryError error) {
        outOfMemory.accept(error);
    }

    /** A ring went from holding {@code before} bytes to {@code after}; called under that ring's lock. */
    void changed(LogRing ring, long before, long after) {
        if (before == after) return;
        if (before == 0) holders.add(ring);
        held.addAndGet(after - before);
        if (after == 0) holders.remove(ring);
    }

    /**
     * Cuts the rings down when the total is over the budget. The writer calls it after letting go of its
     * own ring's lock, so that the rings are locked one at a time here and never two at once.
     */
    void rebalanceIfOver() {
        if (held.get() <= limit || !rebalancing.tryLock()) return;
        try {
            List<LogRing> rings = List.copyOf(holders);
            long[] sizes = new long[rings.size()];
            for (int i = 0; i < sizes.length; i++) sizes[i] = rings.get(i).memory();
            long level = level(sizes, limit - limit / 8);
            for (LogRing ring : rings) ring.shrinkTo(level);
        } finally {
            rebalancing.unlock();
        }
    }

    /** The largest level L such that the sizes, each cut to at most L, sum to at most {@code target}. */
    static long level(long[] sizes, long target) {
        long[] sorted = sizes.clone();
        Arrays.sort(sorted);
        long rest = target;
        for (int i = 0; i < sorted.length; i++) {
            long share = rest / (sorted.length - i);
            if (sorted[i] > share) return share;
            rest -= sorted[i];
        }
        return Long.MAX_VALUE;
    }
}
