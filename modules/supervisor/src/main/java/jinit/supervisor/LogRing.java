package jinit.supervisor;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A job's output: both streams, timestamped, in a bounded ring that drops its oldest bytes when full and
 * counts them. It outlives restarts (with a marker line at each) and is allocated on the first write, so
 * a quiet job costs nothing. Every byte has a position, counted from the job's first byte, so a follower
 * can resume exactly where it was.
 */
public final class LogRing implements ProcessBackend.JobOutput {

    public enum Stream { STDOUT, STDERR, MARKER }

    /** Which streams a reader wants; markers go to every reader. */
    public enum Filter {
        STDOUT, STDERR, BOTH;

        boolean accepts(Stream stream) {
            return stream == Stream.MARKER || this == BOTH || stream.name().equals(name());
        }
    }

    /**
     * Small writes coalesce into the newest chunk up to this size, so a job printing a line at a time
     * costs one chunk header per 4 KiB rather than one per line (timestamps are then per chunk).
     */
    private static final int COALESCE_BYTES = 4096;
    /** Writes this close together share a chunk (and its timestamp). */
    private static final long COALESCE_MILLIS = 100;

    private static final class Chunk {
        final Stream stream;
        final long atMillis;
        /** Position of data[offset]. */
        long start;
        byte[] data;
        int offset;
        int length;

        Chunk(Stream stream, long atMillis, long start, byte[] data, int offset, int length) {
            this.stream = stream;
            this.atMillis = atMillis;
            this.start = start;
            this.data = data;
            this.offset = offset;
            this.length = length;
        }

        long end() {
            return start + length;
        }
    }

    private final int capacity;
    private final LogBudget budget;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition grew = lock.newCondition();
    private final ArrayDeque<Chunk> chunks = new ArrayDeque<>();
    private long size;
    private long end;
    private long dropped;
    private int openStreams;
    private boolean jobEnded;
    /** The job was deleted or replaced: whatever still comes (from a grandchild holding the pipe) is dropped. */
    private boolean discarded;

    public LogRing(int capacity, LogBudget budget) {
        this.capacity = capacity;
        this.budget = budget;
    }

    @Override
    public void streamOpened() {
        lock.lock();
        try {
            openStreams++;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void write(Stream stream, byte[] data, int offset, int length) {
        append(stream, System.currentTimeMillis(), data, offset, length);
    }

    @Override
    public void streamClosed() {
        lock.lock();
        try {
            openStreams--;
            grew.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** A line of init's own, e.g. at a restart, shown in every stream. */
    public void marker(String text) {
        byte[] line = ("[jinit] " + text + "\n").getBytes(StandardCharsets.UTF_8);
        append(Stream.MARKER, System.currentTimeMillis(), line, 0, line.length);
    }

    /** Whether the job has ended for good; a follower stops once this holds and the pipes are drained. */
    public void jobEnded(boolean ended) {
        lock.lock();
        try {
            jobEnded = ended;
            grew.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void append(Stream stream, long atMillis, byte[] data, int offset, int length) {
        if (length <= 0) return;
        lock.lock();
        try {
            end += length;
            if (length > capacity) { // only the newest capacity bytes can survive
                dropped += length - capacity;
                offset += length - capacity;
                length = capacity;
            }
            if (capacity > 0 && !discarded) {
                Chunk last = chunks.peekLast();
                if (last != null && last.stream == stream && atMillis - last.atMillis < COALESCE_MILLIS
                        && last.length + length <= COALESCE_BYTES && last.offset == 0) {
                    if (last.data.length < last.length + length) {
                        last.data = java.util.Arrays.copyOf(last.data, Math.min(COALESCE_BYTES, Math.max(last.length + length, last.data.length * 2)));
                    }
                    System.arraycopy(data, offset, last.data, last.length, length);
                    last.length += length;
                } else {
                    byte[] copy = new byte[Math.min(COALESCE_BYTES, Math.max(length, 256))];
                    if (copy.length < length) copy = new byte[length];
                    System.arraycopy(data, offset, copy, 0, length);
                    chunks.addLast(new Chunk(stream, atMillis, end - length, copy, 0, length));
                }
                budget.took(this, length, size == 0);
                size += length;
                trimTo(capacity);
            } else {
                dropped += length;
            }
            grew.signalAll();
        } finally {
            lock.unlock();
        }
        budget.rebalanceIfOver();
    }

    private void trimTo(long limit) {
        long before = size;
        while (size > limit) {
            Chunk head = chunks.peekFirst();
            long excess = size - limit;
            if (head.length <= excess) {
                chunks.pollFirst();
                size -= head.length;
                dropped += head.length;
            } else {
                head.offset += (int) excess;
                head.length -= (int) excess;
                head.start += excess;
                size -= excess;
                dropped += excess;
            }
        }
        if (size < before) budget.gave(this, before - size, size == 0);
    }

    /** The job is gone: its bytes go back to the budget, and nothing more is kept. */
    public void discard() {
        lock.lock();
        try {
            discarded = true;
            trimTo(0);
            grew.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Drops the oldest bytes past {@code limit}: the shared budget is short. */
    void shrinkTo(long limit) {
        lock.lock();
        try {
            trimTo(limit);
        } finally {
            lock.unlock();
        }
    }

    /** Bytes held now. */
    long size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    public long droppedBytes() {
        lock.lock();
        try {
            return dropped;
        } finally {
            lock.unlock();
        }
    }

    /** Position just past the newest byte. */
    public long end() {
        lock.lock();
        try {
            return end;
        } finally {
            lock.unlock();
        }
    }

    /** What a read returned: bytes from {@code from} up to {@code next}, and whether nothing more will come. */
    public record Slice(byte[] bytes, long next, boolean finished) {}

    /**
     * Bytes from position {@code from} on, filtered; waits up to {@code waitMillis} when there are none yet.
     * Positions the ring already dropped are skipped.
     */
    public Slice read(long from, Filter filter, boolean timestamps, long waitMillis) throws InterruptedException {
        lock.lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
            while (end <= from && !(jobEnded && openStreams <= 0)) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) break;
                grew.awaitNanos(remaining);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            boolean lineStart = true;
            for (Chunk chunk : chunks) {
                if (chunk.end() <= from) continue;
                int skip = (int) Math.max(0, from - chunk.start);
                if (filter.accepts(chunk.stream)) {
                    write(out, chunk, skip, timestamps, lineStart);
                    lineStart = chunk.data[chunk.offset + chunk.length - 1] == '\n';
                }
            }
            return new Slice(out.toByteArray(), Math.max(from, end), jobEnded && openStreams <= 0);
        } finally {
            lock.unlock();
        }
    }

    /** The last {@code lines} lines of the filtered log, and the position to follow from. */
    public Slice tail(int lines, Filter filter, boolean timestamps) {
        lock.lock();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            boolean lineStart = true;
            for (Chunk chunk : chunks) {
                if (!filter.accepts(chunk.stream)) continue;
                write(out, chunk, 0, timestamps, lineStart);
                lineStart = chunk.data[chunk.offset + chunk.length - 1] == '\n';
            }
            byte[] all = out.toByteArray();
            return new Slice(lastLines(all, lines), end, jobEnded && openStreams <= 0);
        } finally {
            lock.unlock();
        }
    }

    private static void write(ByteArrayOutputStream out, Chunk chunk, int skip, boolean timestamps, boolean lineStart) {
        if (!timestamps) {
            out.write(chunk.data, chunk.offset + skip, chunk.length - skip);
            return;
        }
        byte[] stamp = (Instant.ofEpochMilli(chunk.atMillis) + " ").getBytes(StandardCharsets.US_ASCII);
        boolean atLineStart = lineStart && skip == 0;
        for (int i = chunk.offset + skip; i < chunk.offset + chunk.length; i++) {
            if (atLineStart) out.write(stamp, 0, stamp.length);
            out.write(chunk.data[i]);
            atLineStart = chunk.data[i] == '\n';
        }
    }

    static byte[] lastLines(byte[] text, int lines) {
        if (lines < 0) return text;
        int position = text.length;
        if (position > 0 && text[position - 1] == '\n') position--; // a final newline ends the last line
        int found = 0;
        while (position > 0) {
            if (text[position - 1] == '\n' && ++found == lines) break;
            position--;
        }
        if (lines == 0) position = text.length;
        return java.util.Arrays.copyOfRange(text, position, text.length);
    }
}
