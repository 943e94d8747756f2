package jinit.supervisor;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

import jinit.api.JobSpec;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What logs hold is counted as the heap it takes: the running count equals the blocks' arrays plus their
 * overhead, all rings together stay within the budget and each within its own limit, a ring drops only what
 * it must, and what it keeps is its newest bytes, read back exactly (filtered, tailed, stamped) in bounded slices.
 */
class LogBudgetProperties {

    sealed interface Op {
        /** {@code afterMillis} after the previous write, {@code length} bytes of {@code stream} (markers too). */
        record Write(int ring, LogRing.Stream stream, int length, int afterMillis) implements Op {}
        record Discard(int ring) implements Op {}
    }

    private static final int RINGS = 6;

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Integer> ring = Arbitraries.integers().between(0, RINGS - 1);
        Arbitrary<LogRing.Stream> stream = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.just(LogRing.Stream.STDOUT)), Tuple.of(8, Arbitraries.just(LogRing.Stream.STDERR)),
                Tuple.of(1, Arbitraries.just(LogRing.Stream.MARKER)));
        // Mostly tiny writes, the attack's case, and some big enough to span blocks or a whole ring.
        Arbitrary<Integer> length = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(1, 8)), Tuple.of(3, Arbitraries.integers().between(9, 600)),
                Tuple.of(1, Arbitraries.integers().between(601, 9_000)));
        // Mostly within the coalescing window; sometimes past it, sometimes far enough for a long varint.
        Arbitrary<Integer> after = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.just(0)), Tuple.of(2, Arbitraries.integers().between(1, 99)),
                Tuple.of(1, Arbitraries.integers().between(100, 100_000_000)));
        Arbitrary<Op> write = Combinators.combine(ring, stream, length, after).as(Op.Write::new);
        Arbitrary<Op> discard = ring.map(Op.Discard::new);
        return Arbitraries.frequencyOf(Tuple.of(14, write), Tuple.of(1, discard)).list().ofMinSize(1).ofMaxSize(120);
    }

    /** What was written to one ring since it was made, byte by byte: the model its content is held to. */
    static final class Written {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final ByteArrayOutputStream kinds = new ByteArrayOutputStream();
        long[] millis = new long[64];

        void add(LogRing.Stream stream, long at, byte[] data) {
            if (bytes.size() + data.length > millis.length) millis = Arrays.copyOf(millis, 2 * (bytes.size() + data.length));
            Arrays.fill(millis, bytes.size(), bytes.size() + data.length, at);
            bytes.writeBytes(data);
            for (int i = 0; i < data.length; i++) kinds.write(stream.ordinal());
        }

        int size() {
            return bytes.size();
        }

        /** The last {@code count} bytes written, then only those the filter shows. */
        byte[] newest(int count, LogRing.Filter filter) {
            byte[] all = bytes.toByteArray();
            byte[] kind = kinds.toByteArray();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int i = all.length - count; i < all.length; i++) if (filter.accepts(kind[i])) out.write(all[i]);
            return out.toByteArray();
        }
    }

    @Property(tries = 300)
    void theBudgetCountsRealMemoryAndEachRingKeepsItsNewestBytes(
            @ForAll("ops") List<Op> ops, @ForAll @IntRange(min = 1_000, max = 60_000) int budgetBytes,
            @ForAll @Size(RINGS) List<@IntRange(min = 0, max = 40_000) Integer> limits) throws Exception {
        LogBudget budget = new LogBudget(budgetBytes);
        List<LogRing> rings = new ArrayList<>();
        List<Written> written = new ArrayList<>();
        for (int limit : limits) {
            rings.add(new LogRing(limit, budget));
            written.add(new Written());
        }
        long now = 1_700_000_000_000L;
        int counter = 0;
        for (Op op : ops) {
            switch (op) {
                case Op.Write(int ring, LogRing.Stream stream, int length, int after) -> {
                    now += after;
                    byte[] data = new byte[length];
                    // Lines of varied length, so tails and timestamps have something to cut.
                    for (int i = 0; i < length; i++) data[i] = (byte) (counter++ % 7 == 6 ? '\n' : 'a' + counter % 26);
                    rings.get(ring).append(stream, now, data, 0, length);
                    written.get(ring).add(stream, now, data);
                }
                case Op.Discard(int ring) -> {
                    LogRing gone = rings.get(ring);
                    gone.discard();
                    long held = budget.held();
                    gone.append(LogRing.Stream.STDOUT, now, new byte[] {'x'}, 0, 1); // a grandchild still writing
                    assertEquals(held, budget.held(), "a discarded ring keeps nothing");
                    assertEquals(0, gone.memory());
                    rings.set(ring, new LogRing(limits.get(ring), budget)); // a fresh job under the id
                    written.set(ring, new Written());
                }
            }
            long sum = 0;
            for (int r = 0; r < RINGS; r++) {
                LogRing ring = rings.get(r);
                long memory = ring.memory();
                sum += memory;
                assertEquals(ring.recount(), memory, "the running count is what the blocks' arrays and overhead take");
                assertTrue(memory <= limits.get(r), "ring " + r + " holds " + memory + " over its limit " + limits.get(r));
                assertKeepsNewest(ring, written.get(r), now);
            }
            assertEquals(sum, budget.held(), "the budget counts exactly what the rings hold");
            assertTrue(sum <= budgetBytes, "held " + sum + " over the budget " + budgetBytes);
        }
    }

    /** The ring's content is the newest bytes written to it, whatever the filter, tail or timestamps. */
    private static void assertKeepsNewest(LogRing ring, Written written, long now) throws Exception {
        byte[] kept = readAll(ring, ring.tail(-1, LogRing.Filter.BOTH), LogRing.Filter.BOTH, false);
        assertArrayEquals(written.newest(kept.length, LogRing.Filter.BOTH), kept, "a ring keeps the newest bytes written to it");
        assertEquals(written.size(), ring.end());
        assertEquals(written.size() - kept.length, ring.droppedBytes(), "what is not kept is counted as dropped");
        for (LogRing.Filter filter : List.of(LogRing.Filter.STDOUT, LogRing.Filter.STDERR)) {
            byte[] shown = written.newest(kept.length, filter);
            assertArrayEquals(shown, readAll(ring, ring.tail(-1, filter), filter, false), filter + " shows its stream and markers");
            for (int lines : new int[] {0, 1, 3}) {
                assertArrayEquals(lastLines(shown, lines), readAll(ring, ring.tail(lines, filter), filter, false),
                        "tail=" + lines + " of " + filter);
            }
            assertStamped(written, kept.length, filter, readAll(ring, ring.tail(-1, filter), filter, true), now);
        }
    }

    /**
     * Stamped output, less its stamps, is the plain output; each line's stamp is when the line's first byte
     * came, or when its record began less than {@link LogRing#COALESCE_MILLIS} before.
     */
    private static void assertStamped(Written written, int keptCount, LogRing.Filter filter, byte[] stamped, long now) {
        byte[] all = written.bytes.toByteArray();
        byte[] kind = written.kinds.toByteArray();
        int at = 0;
        boolean lineStart = true;
        for (int i = all.length - keptCount; i < all.length; i++) {
            if (!filter.accepts(kind[i])) continue;
            if (lineStart) {
                int space = indexOf(stamped, (byte) ' ', at);
                long stamp = Instant.parse(new String(stamped, at, space - at, StandardCharsets.US_ASCII)).toEpochMilli();
                long came = written.millis[i];
                assertTrue(stamp <= came && stamp > came - LogRing.COALESCE_MILLIS, "byte " + i + " came at " + came + ", stamped " + stamp);
                at = space + 1;
            }
            assertEquals(all[i], stamped[at++], "stamped byte " + i);
            lineStart = all[i] == '\n';
        }
        assertEquals(stamped.length, at, "nothing after the last byte");
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) if (bytes[i] == b) return i;
        throw new AssertionError("no stamp at " + from);
    }

    /** Reads from {@code cursor} to the end in slices, as the log route does; each slice is bounded and moves on. */
    static byte[] readAll(LogRing ring, LogRing.Cursor cursor, LogRing.Filter filter, boolean timestamps) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long until = ring.end();
        while (cursor.position() < until) {
            LogRing.Slice slice = ring.read(cursor, until, filter, timestamps, 0);
            assertTrue(slice.bytes().length <= LogRing.SLICE_BYTES, "a slice of " + slice.bytes().length + " bytes");
            assertTrue(slice.next().position() > cursor.position(), "a read moves on");
            out.writeBytes(slice.bytes());
            cursor = slice.next();
        }
        return out.toByteArray();
    }

    /** The model of a tail: the last {@code lines} lines, a final newline ending the last line. */
    static byte[] lastLines(byte[] text, int lines) {
        if (lines == 0) return new byte[0];
        int position = text.length;
        if (position > 0 && text[position - 1] == '\n') position--;
        int found = 0;
        while (position > 0) {
            if (text[position - 1] == '\n' && ++found == lines) break;
            position--;
        }
        return Arrays.copyOfRange(text, position, text.length);
    }

    @Property(tries = 300)
    void aRingDropsOnlyWhatItMust(@ForAll("ops") List<Op> ops, @ForAll @IntRange(min = 0, max = 40_000) int limit) {
        LogRing ring = new LogRing(limit, new LogBudget(Long.MAX_VALUE));
        long now = 0;
        for (Op op : ops) {
            if (!(op instanceof Op.Write(int r, LogRing.Stream stream, int length, int after))) continue;
            now += after;
            ring.append(stream, now, new byte[length], 0, length);
            int block = LogRing.maxBlockBytes(limit);
            if (block == 0) {
                assertEquals(0, ring.memory(), "a limit below the smallest block keeps nothing");
            } else if (ring.droppedBytes() > 0) {
                // The oldest block goes only when the next one would not fit: what is left is most of the limit.
                assertTrue(ring.memory() > limit - 2 * LogRing.cost(block),
                        "holds " + ring.memory() + " of " + limit + " after dropping (blocks of " + block + ")");
            }
        }
    }

    @Property(tries = 300)
    void smallWritesCostTheirTextAndAFewBytesEach(@ForAll("ops") List<Op> ops) {
        LogRing ring = new LogRing(JobSpec.MAX_LOG_BYTES, new LogBudget(Long.MAX_VALUE));
        long now = 0;
        long text = 0;
        long records = 0;
        for (Op op : ops) {
            if (!(op instanceof Op.Write(int r, LogRing.Stream stream, int length, int after))) continue;
            now += after;
            ring.append(stream, now, new byte[length], 0, length);
            text += length;
            records += 2 + length / (LogRing.MAX_BLOCK_BYTES - 16); // one, and one more per block it spans
        }
        // Each record's header is at most 2 bytes and a varint (6 bytes for the longest gap generated); blocks
        // waste less than a header at their end, cost 96 bytes more than their array, and the newest is at
        // most half empty.
        long bound = (long) ((text + 8 * records) * (1 + (96.0 + 8) / LogRing.MAX_BLOCK_BYTES)) + 2 * LogRing.cost(LogRing.MAX_BLOCK_BYTES);
        assertTrue(ring.memory() <= bound, "holds " + ring.memory() + " for " + text + " bytes in at most " + records + " records");
    }

    @Example
    void aByteAtATimeAlternatingStreamsCostsFourBytesAWrite() throws Exception {
        LogRing ring = new LogRing(JobSpec.MAX_LOG_BYTES, new LogBudget(Long.MAX_VALUE));
        int writes = 1_000_000;
        for (int i = 0; i < writes; i++) {
            ring.append(i % 2 == 0 ? LogRing.Stream.STDOUT : LogRing.Stream.STDERR, 1_000 + i / 1_000, new byte[] {(byte) 'a'}, 0, 1);
        }
        double perWrite = (double) ring.memory() / writes;
        assertTrue(perWrite <= 4.2, "a 1-byte write costs " + perWrite + " bytes of heap");
        assertEquals(0, ring.droppedBytes());
        assertEquals(writes, readAll(ring, ring.tail(-1, LogRing.Filter.BOTH), LogRing.Filter.BOTH, false).length);
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
