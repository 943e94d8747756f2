package jinit.supervisor;

import jinit.api.Timestamps;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A job's output: both streams and init's own marker lines, timestamped, in at most {@code limit} bytes of
 * heap. The limit counts what the log really costs (headers, unused capacity), not just the text, so the
 * budget over all logs bounds init's heap whatever the job writes. When full, the log drops its oldest bytes
 * and counts them. It outlives restarts (with a marker line at each) and is allocated on the first write, so
 * a quiet job costs nothing. Every byte has a position, counted from the job's first byte, so a reader can
 * resume exactly where it was.
 *
 * <p>Storage is a list of blocks, oldest first. A block is a byte array of records laid back to back: a
 * 2-byte header (the stream in the top 2 bits, the text's length in the low 14), the time as a zigzag varint
 * of milliseconds since the block's previous record, then the text. Writes of one stream less than
 * {@value #COALESCE_MILLIS} ms after its record began extend that record, so a job writing a byte at a time,
 * alternating stdout and stderr, costs 4 bytes a write instead of an object and an array each. A block starts
 * at {@value #MIN_BLOCK_BYTES} bytes and doubles up to {@value #MAX_BLOCK_BYTES}; room is made by dropping
 * the oldest whole block.
 */
public final class LogRing implements ProcessBackend.JobOutput {

    /** Where bytes came from; the ordinal is the record's 2-bit kind. */
    public enum Stream { STDOUT, STDERR, MARKER }

    /** Which streams a reader wants; markers go to every reader. */
    public enum Filter {
        STDOUT, STDERR, BOTH;

        boolean accepts(int kind) {
            return kind == Stream.MARKER.ordinal() || this == BOTH || kind == ordinal();
        }
    }

    /** Writes of one stream this close to its record's start share the record (and its timestamp). */
    static final long COALESCE_MILLIS = 100;
    static final int MIN_BLOCK_BYTES = 64;
    /** Big enough that the overhead below is 2% of a full block, small enough to drop in steps of 1/64 of a default log. */
    static final int MAX_BLOCK_BYTES = 4096;
    /**
     * What a block costs beyond its array's capacity, at worst: the Block object (a 16-byte header and 52
     * bytes of fields, padded to 72) and the array's header (24), on a 64-bit JVM with neither compressed
     * oops nor compressed class pointers. Capacities are powers of two, so the array has no padding. The
     * image's layout (compact headers, compressed oops) really takes 56 + 16.
     */
    static final int BLOCK_OVERHEAD_BYTES = 96;
    /**
     * A read returns at most this much (timestamps included), so a reader costs init a bounded buffer
     * however big the log and however slowly the client takes it.
     */
    static final int SLICE_BYTES = 8192;

    private static final int LENGTH_MASK = 0x3FFF; // MAX_BLOCK_BYTES fits, so a record never needs more

    /** Records of one stretch of positions, [start, start + text). Mutable, guarded by the ring's lock. */
    private static final class Block {
        /** Position of the first byte of text. */
        final long start;
        /** The time the first record is counted from. */
        final long firstMillis;
        /** The newest record's time: the next record's delta is counted from it. */
        long lastMillis;
        byte[] data;
        int used;
        /** Bytes of text (not headers) in the block. */
        int text;
        /** Where the newest record's header is; -1 before the first. */
        int lastRecord = -1;
        Block next;

        Block(long start, long atMillis, int capacity) {
            this.start = start;
            this.firstMillis = atMillis;
            this.lastMillis = atMillis;
            this.data = new byte[capacity];
        }

        long end() {
            return start + text;
        }

        /** Whether a write of {@code stream} at {@code atMillis} may extend the newest record. */
        boolean extendable(Stream stream, long atMillis) {
            return lastRecord >= 0 && kind(data, lastRecord) == stream.ordinal()
                    && atMillis >= lastMillis && atMillis - lastMillis < COALESCE_MILLIS;
        }

        void addRecord(Stream stream, long atMillis, byte[] bytes, int offset, int length) {
            lastRecord = used;
            data[used] = (byte) (stream.ordinal() << 6 | length >>> 8);
            data[used + 1] = (byte) length;
            used = putVarint(data, used + 2, zigzag(atMillis - lastMillis));
            lastMillis = atMillis;
            System.arraycopy(bytes, offset, data, used, length);
            used += length;
            text += length;
        }

        void extendLast(byte[] bytes, int offset, int length) {
            int total = length(data, lastRecord) + length;
            data[lastRecord] = (byte) (data[lastRecord] & 0xC0 | total >>> 8);
            data[lastRecord + 1] = (byte) total;
            System.arraycopy(bytes, offset, data, used, length);
            used += length;
            text += length;
        }
    }

    /**
     * Walks the records from the oldest on: after {@link #next()} returns true, the record's kind, time,
     * position and text ({@code data[at..at+length)}) are in the fields. Under the ring's lock.
     */
    private final class Records {
        private Block block;
        private boolean started;
        /** Where the next record's header is in {@code block}. */
        private int cursor;
        long time;
        long position;
        byte[] data;
        int kind;
        int at;
        int length;

        boolean next() {
            if (started) position += length;
            else enter(head);
            started = true;
            while (block != null && cursor >= block.used) enter(block.next);
            if (block == null) return false;
            kind = LogRing.kind(data, cursor);
            length = LogRing.length(data, cursor);
            long delta = 0;
            int i = cursor + 2;
            for (int shift = 0; ; shift += 7) {
                byte b = data[i++];
                delta |= (long) (b & 0x7F) << shift;
                if (b >= 0) break;
            }
            time += unzigzag(delta);
            at = i;
            cursor = i + length;
            return true;
        }

        private void enter(Block next) {
            block = next;
            cursor = 0;
            length = 0;
            if (next == null) return;
            data = next.data;
            time = next.firstMillis;
            position = next.start;
        }
    }

    private final long limit;
    /** The largest block this log uses; 0 when the limit cannot hold even the smallest. */
    private final int maxBlockBytes;
    private final LogBudget budget;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition grew = lock.newCondition();
    private Block head;
    private Block tail;
    /** Heap the blocks take, by {@link #cost(int)}. */
    private long memory;
    private long end;
    private long dropped;
    /** Bytes lost because init was out of heap, not yet told in a marker line. */
    private long lostToMemory;
    private int openStreams;
    private boolean jobEnded;
    /** The job was deleted or replaced: whatever still comes (from a grandchild holding the pipe) is dropped. */
    private boolean discarded;

    /** @param limit the heap this log may take, in bytes ({@code logBytes}) */
    public LogRing(int limit, LogBudget budget) {
        this.limit = limit;
        this.maxBlockBytes = maxBlockBytes(limit);
        this.budget = budget;
    }

    /** What a block of {@code capacity} bytes costs in heap. */
    static long cost(int capacity) {
        return capacity + (long) BLOCK_OVERHEAD_BYTES;
    }

    /**
     * The largest block for a log of {@code limit} bytes: at most a quarter of it, so that dropping the oldest
     * block to make room keeps at least half the log; the smallest block when only that fits; else 0.
     */
    static int maxBlockBytes(long limit) {
        int size = MAX_BLOCK_BYTES;
        while (size > MIN_BLOCK_BYTES && cost(size) * 4 > limit) size >>= 1;
        return cost(size) <= limit ? size : 0;
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

    /** The bytes are copied before this returns: the caller may reuse its buffer. */
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
            long before = memory;
            try {
                if (lostToMemory > 0 && !discarded) tellLoss(atMillis);
                store(stream, atMillis, data, offset, length);
            } finally {
                budget.changed(this, before, memory); // whatever happened, the budget counts what is held
            }
            grew.signalAll();
        } finally {
            lock.unlock();
        }
        budget.rebalanceIfOver();
    }

    /** Puts a marker before the next bytes kept: some output before them was lost for want of heap. */
    private void tellLoss(long atMillis) {
        byte[] line;
        try {
            line = ("[jinit] " + lostToMemory + " bytes of output lost: init was out of memory\n").getBytes(StandardCharsets.US_ASCII);
        } catch (OutOfMemoryError stillShort) {
            return; // said with a later write
        }
        lostToMemory = 0;
        store(Stream.MARKER, atMillis, line, 0, line.length);
    }

    /** Keeps {@code data[offset..offset+length)} as the newest bytes, at the positions from {@link #end} on. */
    private void store(Stream stream, long atMillis, byte[] data, int offset, int length) {
        long position = end;
        end += length;
        if (discarded || maxBlockBytes == 0) {
            dropped += length;
            return;
        }
        if (length > limit) { // text never costs less than its length: only the newest limit bytes can stay
            int skip = (int) (length - limit);
            dropped += skip;
            offset += skip;
            length -= skip;
            position += skip;
        }
        try {
            while (length > 0) {
                int stored = storeSome(stream, atMillis, data, offset, length, position);
                offset += stored;
                length -= stored;
                position += stored;
            }
        } catch (OutOfMemoryError e) {
            // Logs are within the budget, so something else took the heap. The pump must go on draining every
            // job's pipes, so this write is dropped, counted, and told in a marker once memory allows; whoever
            // watches the heap for init is told too.
            dropped += length;
            lostToMemory += length;
            budget.outOfMemory(e);
        }
    }

    /** Stores as much of the write as fits in one block, which it grows or adds as needed; returns how much. */
    private int storeSome(Stream stream, long atMillis, byte[] data, int offset, int length, long position) {
        Block block = tail;
        if (block != null && block.end() == position) {
            if (block.extendable(stream, atMillis)) {
                int room = roomAfter(block, 0, length);
                if (room > 0) {
                    block.extendLast(data, offset, room);
                    return room;
                }
            }
            int room = roomAfter(block, headerBytes(atMillis - block.lastMillis), length);
            if (room > 0) {
                block.addRecord(stream, atMillis, data, offset, room);
                return room;
            }
        }
        block = addBlock(position, atMillis, headerBytes(0) + length);
        int room = Math.min(length, block.data.length - headerBytes(0));
        block.addRecord(stream, atMillis, data, offset, room);
        return room;
    }

    /** How many bytes of text fit in {@code block} after a header of {@code header} bytes, growing it if that helps. */
    private int roomAfter(Block block, int header, int length) {
        int needed = block.used + header + length;
        int capacity = block.data.length;
        if (needed > capacity && capacity < maxBlockBytes) {
            int grown = Math.min(maxBlockBytes, powerOfTwoAtLeast(needed));
            makeRoom(grown - capacity, block);
            block.data = Arrays.copyOf(block.data, grown);
            memory += grown - capacity;
        }
        return Math.max(0, Math.min(length, block.data.length - block.used - header));
    }

    private Block addBlock(long position, long atMillis, int wanted) {
        int capacity = Math.max(MIN_BLOCK_BYTES, Math.min(maxBlockBytes, powerOfTwoAtLeast(wanted)));
        makeRoom(cost(capacity), null);
        Block block = new Block(position, atMillis, capacity);
        if (tail == null) head = block;
        else tail.next = block;
        tail = block;
        memory += cost(capacity);
        return block;
    }

    /** Drops the oldest blocks, never {@code keep}, until {@code extra} more bytes fit within the limit. */
    private void makeRoom(long extra, Block keep) {
        while (memory + extra > limit && head != null && head != keep) dropOldest();
    }

    private void dropOldest() {
        Block oldest = head;
        head = oldest.next;
        if (head == null) tail = null;
        memory -= cost(oldest.data.length);
        dropped += oldest.text;
    }

    /** The job is gone: its bytes go back to the budget, and nothing more is kept. */
    public void discard() {
        lock.lock();
        try {
            long before = memory;
            discarded = true;
            while (head != null) dropOldest();
            budget.changed(this, before, memory);
            grew.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Drops the oldest blocks until at most {@code level} bytes are held: the shared budget is short. */
    void shrinkTo(long level) {
        lock.lock();
        try {
            long before = memory;
            while (memory > level && head != null) dropOldest();
            budget.changed(this, before, memory);
        } finally {
            lock.unlock();
        }
    }

    /** Heap held now, as the budget counts it. */
    long memory() {
        lock.lock();
        try {
            return memory;
        } finally {
            lock.unlock();
        }
    }

    /** The heap the blocks take, counted afresh from their arrays: tests hold {@link #memory()} to it. */
    long recount() {
        lock.lock();
        try {
            long sum = 0;
            for (Block block = head; block != null; block = block.next) sum += cost(block.data.length);
            return sum;
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

    /**
     * Where a reader is: the next position, and whether the next byte it is shown starts a line (and so gets a
     * timestamp).
     */
    public record Cursor(long position, boolean atLineStart) {}

    /** What a read returned: the bytes, where to read on from, and whether nothing more will ever come. */
    public record Slice(byte[] bytes, Cursor next, boolean finished) {}

    /**
     * Where the last {@code lines} lines of the filtered log begin: the oldest byte kept when {@code lines} is
     * negative, the end when it is 0. A final newline ends the last line rather than starting another.
     */
    public Cursor tail(int lines, Filter filter) {
        lock.lock();
        try {
            if (lines == 0) return new Cursor(end, true);
            long oldest = head != null ? head.start : end;
            if (lines < 0) return new Cursor(oldest, true);
            long newlines = 0;
            boolean endsWithNewline = false;
            for (Records r = new Records(); r.next(); ) {
                if (!filter.accepts(r.kind) || r.length == 0) continue;
                for (int i = r.at; i < r.at + r.length; i++) if (r.data[i] == '\n') newlines++;
                endsWithNewline = r.data[r.at + r.length - 1] == '\n';
            }
            long counted = endsWithNewline ? newlines - 1 : newlines;
            if (counted < lines) return new Cursor(oldest, true);
            long target = counted - lines + 1; // the tail starts just after this newline
            for (Records r = new Records(); r.next(); ) {
                if (!filter.accepts(r.kind)) continue;
                for (int i = r.at; i < r.at + r.length; i++) {
                    if (r.data[i] == '\n' && --target == 0) return new Cursor(r.position + (i - r.at) + 1, true);
                }
            }
            throw new IllegalStateException("the second pass over the log found fewer newlines than the first");
        } finally {
            lock.unlock();
        }
    }

    /**
     * At most {@value #SLICE_BYTES} bytes of the filtered log from {@code from}, stopping before position
     * {@code until}; waits up to {@code waitMillis} when there is nothing past {@code from} yet. Positions the
     * log already dropped are skipped.
     */
    public Slice read(Cursor from, long until, Filter filter, boolean timestamps, long waitMillis) throws InterruptedException {
        lock.lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
            while (end <= from.position() && !(jobEnded && openStreams <= 0)) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) break;
                grew.awaitNanos(remaining);
            }
            long stop = Math.min(until, end);
            SliceWriter out = new SliceWriter(timestamps, from.atLineStart());
            long position = from.position();
            Records r = new Records();
            while (position < stop && !out.full() && r.next()) {
                long recordEnd = r.position + r.length;
                if (recordEnd <= position) continue;
                position = Math.max(position, r.position); // past a stretch that was dropped
                int skip = (int) (position - r.position);
                int wanted = (int) Math.min(r.length - skip, stop - position);
                position += filter.accepts(r.kind) ? out.write(r.data, r.at + skip, wanted, r.time) : wanted;
            }
            if (!out.full()) position = Math.max(position, stop); // nothing kept from there to stop
            boolean finished = jobEnded && openStreams <= 0 && position >= end;
            return new Slice(out.bytes(), new Cursor(position, out.atLineStart), finished);
        } finally {
            lock.unlock();
        }
    }

    /** A read's output, filled up to {@link #SLICE_BYTES}, with a timestamp at the start of each line if asked. */
    private static final class SliceWriter {
        private final boolean timestamps;
        private byte[] buffer = new byte[256];
        private int count;
        private boolean full;
        boolean atLineStart;
        private long stampMillis = Long.MIN_VALUE;
        private byte[] stamp;

        SliceWriter(boolean timestamps, boolean atLineStart) {
            this.timestamps = timestamps;
            this.atLineStart = atLineStart;
        }

        boolean full() {
            return full;
        }

        /** Takes up to {@code length} bytes written at {@code millis}; returns how many it took. */
        int write(byte[] data, int offset, int length, long millis) {
            if (!timestamps) {
                int n = Math.min(length, SLICE_BYTES - count);
                append(data, offset, n);
                full = count == SLICE_BYTES;
                return n;
            }
            for (int i = 0; i < length; i++) {
                int needed = 1 + (atLineStart ? stamp(millis).length : 0);
                if (count > 0 && count + needed > SLICE_BYTES) {
                    full = true;
                    return i;
                }
                if (atLineStart) append(stamp, 0, stamp.length);
                append(data, offset + i, 1);
            }
            return length;
        }

        private byte[] stamp(long millis) {
            if (millis != stampMillis) {
                stampMillis = millis;
                stamp = (Timestamps.iso(Instant.ofEpochMilli(millis)) + " ").getBytes(StandardCharsets.US_ASCII);
            }
            return stamp;
        }

        private void append(byte[] data, int offset, int length) {
            if (length <= 0) return;
            if (count + length > buffer.length) {
                buffer = Arrays.copyOf(buffer, Math.max(count + length, Math.min(SLICE_BYTES + 64, buffer.length * 2)));
            }
            System.arraycopy(data, offset, buffer, count, length);
            count += length;
            atLineStart = data[offset + length - 1] == '\n';
        }

        byte[] bytes() {
            return Arrays.copyOf(buffer, count);
        }
    }

    // ---- the record format ----

    private static int kind(byte[] data, int header) {
        return (data[header] & 0xFF) >>> 6;
    }

    private static int length(byte[] data, int header) {
        return ((data[header] & 0xFF) << 8 | (data[header + 1] & 0xFF)) & LENGTH_MASK;
    }

    /** A record's header size for a time {@code deltaMillis} after the block's previous record. */
    static int headerBytes(long deltaMillis) {
        long value = zigzag(deltaMillis);
        int bytes = 3;
        while ((value >>>= 7) != 0) bytes++;
        return bytes;
    }

    private static long zigzag(long value) {
        return value << 1 ^ value >> 63;
    }

    private static long unzigzag(long value) {
        return value >>> 1 ^ -(value & 1);
    }

    private static int putVarint(byte[] data, int at, long value) {
        while ((value & ~0x7FL) != 0) {
            data[at++] = (byte) (value & 0x7F | 0x80);
            value >>>= 7;
        }
        data[at++] = (byte) value;
        return at;
    }

    private static int powerOfTwoAtLeast(int value) {
        return value <= 1 ? 1 : Integer.highestOneBit(value - 1) << 1;
    }
}
