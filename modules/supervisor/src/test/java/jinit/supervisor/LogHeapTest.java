package jinit.supervisor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The budget against the JVM's own count: logs filled to the budget, the worst way (a byte at a time,
 * alternating streams) and the ordinary way, take no more heap than the budget says they hold.
 */
class LogHeapTest {
    /** A LogRing's own objects (ring, lock, condition) before its first block, generously. */
    private static final long RING_BYTES = 512;

    @Test
    void theBudgetBoundsTheHeapLogsReallyTake() {
        long budgetBytes = 48L << 20;
        long before = usedHeapAfterGc();
        LogBudget budget = new LogBudget(budgetBytes);
        List<LogRing> rings = new ArrayList<>();
        Random random = new Random(42);
        byte[] text = new byte[9_000];
        random.nextBytes(text);
        long now = 0;
        for (int r = 0; r < 64; r++) {
            LogRing ring = new LogRing(1 << 20, budget);
            rings.add(ring);
            boolean attack = r % 2 == 0;
            while (ring.droppedBytes() == 0) {
                now += random.nextInt(3) == 0 ? random.nextInt(150) : 0;
                if (attack) {
                    ring.append(LogRing.Stream.STDOUT, now, text, 0, 1);
                    ring.append(LogRing.Stream.STDERR, now, text, 1, 1);
                } else {
                    ring.append(random.nextBoolean() ? LogRing.Stream.STDOUT : LogRing.Stream.STDERR, now, text, 0,
                            1 + random.nextInt(random.nextBoolean() ? 100 : text.length));
                }
            }
        }
        long real = usedHeapAfterGc() - before;
        long held = budget.held();
        Reference.reachabilityFence(rings);
        assertTrue(held <= budgetBytes, "held " + held);
        assertTrue(held > budgetBytes / 2, "the rings filled the budget: " + held);
        assertTrue(real <= held + rings.size() * RING_BYTES, "the logs take " + real + " bytes of heap; the budget counts " + held);
        // A count far above the truth would waste the budget: the overhead constant is a worst case, not a guess.
        assertTrue(real >= held * 0.95, "the logs take " + real + " bytes of heap; the budget counts " + held);
    }

    private static long usedHeapAfterGc() {
        Runtime runtime = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) System.gc();
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
