package jinit.supervisor;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** All rings together stay within the budget, the accounting is exact, and what a ring keeps is its newest bytes. */
class LogBudgetProperties {

    sealed interface Op {
        record Write(int ring, int length) implements Op {}
        record Discard(int ring) implements Op {}
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> write = Combinators.combine(Arbitraries.integers().between(0, 5), Arbitraries.integers().between(1, 9_000))
                .as(Op.Write::new);
        Arbitrary<Op> discard = Arbitraries.integers().between(0, 5).map(Op.Discard::new);
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(12, write), net.jqwik.api.Tuple.of(1, discard))
                .list().ofMinSize(1).ofMaxSize(80);
    }

    @Property(tries = 500)
    void theTotalStaysWithinTheBudget(@ForAll("ops") List<Op> ops, @ForAll @IntRange(min = 1_000, max = 40_000) int limit,
                                      @ForAll @Size(6) List<@IntRange(min = 0, max = 30_000) Integer> capacities) throws Exception {
        LogBudget budget = new LogBudget(limit);
        List<LogRing> rings = new ArrayList<>();
        List<ByteArrayOutputStream> written = new ArrayList<>();
        for (int capacity : capacities) {
            rings.add(new LogRing(capacity, budget));
            written.add(new ByteArrayOutputStream());
        }
        int counter = 0;
        for (Op op : ops) {
            switch (op) {
                case Op.Write(int ring, int length) -> {
                    byte[] data = new byte[length];
                    for (int i = 0; i < length; i++) data[i] = (byte) ('a' + (counter++ % 26));
                    rings.get(ring).write(LogRing.Stream.STDOUT, data, 0, length);
                    written.get(ring).write(data);
                }
                case Op.Discard(int ring) -> {
                    rings.get(ring).discard();
                    rings.set(ring, new LogRing(capacities.get(ring), budget)); // a fresh job under the id
                    written.set(ring, new ByteArrayOutputStream());
                }
            }
            long sum = 0;
            for (int r = 0; r < rings.size(); r++) {
                LogRing ring = rings.get(r);
                sum += ring.size();
                assertTrue(ring.size() <= capacities.get(r), "a ring never outgrows its own size");
                byte[] kept = ring.tail(-1, LogRing.Filter.BOTH, false).bytes();
                byte[] all = written.get(r).toByteArray();
                assertEquals(ring.size(), kept.length);
                assertTrue(Arrays.equals(kept, Arrays.copyOfRange(all, all.length - kept.length, all.length)),
                        "a ring keeps the newest bytes written to it");
            }
            assertEquals(sum, budget.held(), "the budget counts exactly what the rings hold");
            assertTrue(sum <= limit, "held " + sum + " over the budget " + limit);
        }
    }

    @Property(tries = 2_000)
    void theLevelIsTheHighestThatFits(@ForAll @Size(max = 20) List<@LongRange(min = 0, max = 100_000) Long> sizeList,
                                      @ForAll @LongRange(min = 0, max = 1_000_000) long target) {
        long[] sizes = sizeList.stream().mapToLong(Long::longValue).toArray();
        long level = LogBudget.level(sizes, target);
        assertTrue(cutSum(sizes, level) <= target, "cut to the level, the sizes fit");
        if (level != Long.MAX_VALUE) assertTrue(cutSum(sizes, level + 1) > target, "one byte more would not fit");
        else assertTrue(Arrays.stream(sizes).sum() <= target);
    }

    private static long cutSum(long[] sizes, long level) {
        return Arrays.stream(sizes).map(size -> Math.min(size, level)).sum();
    }
}
