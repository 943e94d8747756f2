package jinit.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A LogRing's behaviours one at a time, as the log route uses them: markers, filters, tails, slices read on from a
 * cursor, a follower's wait and its end, a reader overtaken by a drop, discard. LogBudgetProperties holds what the
 * ring keeps to a model over random writes; these name the cases.
 */
class LogRingTest {
    private static final LogRing.Stream OUT = LogRing.Stream.STDOUT;
    private static final LogRing.Stream ERR = LogRing.Stream.STDERR;

    private static LogRing ring() {
        return new LogRing(64 * 1024, new LogBudget(Long.MAX_VALUE));
    }

    private static void write(LogRing ring, LogRing.Stream stream, long atMillis, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ring.append(stream, atMillis, bytes, 0, bytes.length);
    }

    /** Everything from {@code tail} lines back to the end as it is now, without waiting. */
    private static String read(LogRing ring, int lines, LogRing.Filter filter, boolean timestamps) throws Exception {
        return new String(LogBudgetProperties.readAll(ring, ring.tail(lines, filter), filter, timestamps), StandardCharsets.UTF_8);
    }

    @Test
    void markersShowInEveryStreamAndStreamsOnlyInTheirOwn() throws Exception {
        LogRing ring = ring();
        write(ring, OUT, 1_000, "out 1\n");
        write(ring, ERR, 1_000, "err 1\n");
        ring.marker("restart 1 after exit code 1");
        write(ring, OUT, 2_000, "out 2\n");
        String marker = "[jinit] restart 1 after exit code 1\n";
        assertEquals("out 1\nerr 1\n" + marker + "out 2\n", read(ring, -1, LogRing.Filter.BOTH, false));
        assertEquals("out 1\n" + marker + "out 2\n", read(ring, -1, LogRing.Filter.STDOUT, false));
        assertEquals("err 1\n" + marker, read(ring, -1, LogRing.Filter.STDERR, false));
    }

    @Test
    void aTailCountsLinesOfWhatTheFilterShows() throws Exception {
        LogRing ring = ring();
        write(ring, OUT, 1_000, "a\nb\n");
        write(ring, ERR, 1_000, "x\ny\n");
        write(ring, OUT, 1_000, "c\nno newline yet");
        assertEquals("c\nno newline yet", read(ring, 2, LogRing.Filter.BOTH, false), "an unfinished line is the last line");
        assertEquals("b\nc\nno newline yet", read(ring, 3, LogRing.Filter.STDOUT, false));
        assertEquals("y\n", read(ring, 1, LogRing.Filter.STDERR, false), "a final newline ends the last line");
        assertEquals("x\ny\n", read(ring, 100, LogRing.Filter.STDERR, false), "more lines than there are: all of them");
        assertEquals("", read(ring, 0, LogRing.Filter.BOTH, false));
        assertEquals(ring.end(), ring.tail(0, LogRing.Filter.BOTH).position(), "tail 0 is the end: a follower sees only what comes");
    }

    /** A reader resumes exactly where its slice ended, and a line cut between two reads is stamped once. */
    @Test
    void aCursorResumesMidLineWithOneStampALine() throws Exception {
        LogRing ring = ring();
        write(ring, OUT, 1_700_000_000_000L, "first half, ");
        LogRing.Slice first = ring.read(ring.tail(-1, LogRing.Filter.BOTH), ring.end(), LogRing.Filter.BOTH, true, 0);
        assertEquals("2023-11-14T22:13:20Z first half, ", new String(first.bytes(), StandardCharsets.UTF_8));
        assertFalse(first.next().atLineStart());
        write(ring, OUT, 1_700_000_000_500L, "second half\nnext\n");
        LogRing.Slice second = ring.read(first.next(), ring.end(), LogRing.Filter.BOTH, true, 0);
        assertEquals("second half\n2023-11-14T22:13:20.500Z next\n", new String(second.bytes(), StandardCharsets.UTF_8));
        assertEquals(ring.end(), second.next().position());
        assertTrue(second.next().atLineStart());
    }

    @Test
    void aFollowerWaitsForOutputAndEndsWithTheJobOnceItsPipesAreDrained() throws Exception {
        LogRing ring = ring();
        ring.streamOpened();
        ring.streamOpened();
        LogRing.Cursor start = ring.tail(0, LogRing.Filter.BOTH);
        long began = System.nanoTime();
        LogRing.Slice idle = ring.read(start, Long.MAX_VALUE, LogRing.Filter.BOTH, false, 50);
        assertTrue(System.nanoTime() - began >= TimeUnit.MILLISECONDS.toNanos(50), "nothing came: it waited its 50 ms");
        assertEquals(0, idle.bytes().length);
        assertFalse(idle.finished());

        CompletableFuture<LogRing.Slice> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return ring.read(idle.next(), Long.MAX_VALUE, LogRing.Filter.BOTH, false, 10_000);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50);
        ring.write(OUT, "woken\n".getBytes(StandardCharsets.UTF_8), 0, 6);
        LogRing.Slice woken = waiting.get(5, TimeUnit.SECONDS);
        assertEquals("woken\n", new String(woken.bytes(), StandardCharsets.UTF_8), "a write wakes the follower at once");

        ring.jobEnded(true);
        ring.streamClosed();
        assertFalse(ring.read(woken.next(), Long.MAX_VALUE, LogRing.Filter.BOTH, false, 0).finished(), "a pipe is still open");
        ring.jobEnded(false); // a restart: the job goes on
        ring.streamClosed();
        assertFalse(ring.read(woken.next(), Long.MAX_VALUE, LogRing.Filter.BOTH, false, 0).finished(), "the job was restarted");
        ring.jobEnded(true);
        LogRing.Slice last = ring.read(woken.next(), Long.MAX_VALUE, LogRing.Filter.BOTH, false, 10_000);
        assertTrue(last.finished(), "ended, and every pipe drained: no wait, and nothing more will come");
        assertEquals(0, last.bytes().length);
    }

    /** A slow reader whose next bytes were dropped goes on from the oldest byte kept, and the drop is counted. */
    @Test
    void aReaderOvertakenByADropSkipsToWhatIsKept() throws Exception {
        LogRing ring = new LogRing(4 * (int) LogRing.cost(LogRing.MIN_BLOCK_BYTES), new LogBudget(Long.MAX_VALUE));
        write(ring, OUT, 0, "0123456789\n");
        LogRing.Cursor behind = ring.tail(-1, LogRing.Filter.BOTH);
        assertEquals(0, behind.position());
        for (int i = 0; i < 100; i++) write(ring, OUT, 200L * i, "line " + i + "\n");
        assertTrue(ring.droppedBytes() > 0);
        LogRing.Cursor oldest = ring.tail(-1, LogRing.Filter.BOTH);
        assertEquals(ring.droppedBytes(), oldest.position(), "positions count from the job's first byte, dropped ones too");
        LogRing.Slice slice = ring.read(behind, ring.end(), LogRing.Filter.BOTH, false, 0);
        String text = new String(slice.bytes(), StandardCharsets.UTF_8);
        assertTrue(text.endsWith("line 99\n") && !text.contains("0123456789"), text);
        assertEquals(ring.end() - oldest.position(), slice.bytes().length, "exactly what is kept, from the oldest byte on");
    }

    @Test
    void aDiscardedLogKeepsNothingAndCountsWhatStillComes() throws Exception {
        LogBudget budget = new LogBudget(Long.MAX_VALUE);
        LogRing ring = new LogRing(64 * 1024, budget);
        write(ring, OUT, 0, "kept until the job is deleted\n");
        assertTrue(budget.held() > 0);
        ring.discard();
        assertEquals(0, budget.held(), "its heap goes back to the budget");
        assertEquals("", read(ring, -1, LogRing.Filter.BOTH, false));
        long end = ring.end();
        write(ring, OUT, 0, "a grandchild still writing\n");
        assertEquals(0, budget.held());
        assertEquals(end + 27, ring.end(), "positions still advance");
        assertEquals(ring.end(), ring.droppedBytes(), "every byte it ever had is dropped");
    }

    @Test
    void aWriteLargerThanTheLogKeepsItsNewestBytes() throws Exception {
        int limit = 8 * (int) LogRing.cost(LogRing.MIN_BLOCK_BYTES);
        LogRing ring = new LogRing(limit, new LogBudget(Long.MAX_VALUE));
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 4 * limit; i++) text.append(i).append('\n');
        write(ring, ERR, 0, text.toString());
        String kept = read(ring, -1, LogRing.Filter.STDERR, false);
        assertFalse(kept.isEmpty());
        assertTrue(text.toString().endsWith(kept), "the newest bytes, in order");
        assertEquals(text.length() - kept.length(), ring.droppedBytes());
        assertTrue(ring.memory() <= limit);
    }
}
