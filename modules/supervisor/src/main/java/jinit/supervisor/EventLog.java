package jinit.supervisor;

import jinit.api.Job;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Every job state change, numbered. A bounded history lets a client that reconnects with
 * {@code ?since=seq} replay what it missed, as long as it is still in the window.
 */
public final class EventLog {
    /** 4,096 events: minutes of a busy boot, in well under a megabyte. */
    public static final int DEFAULT_HISTORY = 4096;

    /**
     * One change. {@code job} is the job after the change, or null when it was deleted.
     */
    public record Event(long seq, Instant at, String id, String state, Job job) {}

    private final int history;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition appended = lock.newCondition();
    private final ArrayDeque<Event> events = new ArrayDeque<>();
    private long nextSeq = 1;

    public EventLog(int history) {
        this.history = history;
    }

    void add(Instant at, String id, String state, Job job) {
        lock.lock();
        try {
            events.addLast(new Event(nextSeq++, at, id, state, job));
            if (events.size() > history) events.pollFirst();
            appended.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The seq the next event will get. */
    public long nextSeq() {
        lock.lock();
        try {
            return nextSeq;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Events with seq ≥ {@code since}, waiting up to {@code waitMillis} for the first one. Events older than
     * the history window are gone; the first returned seq then shows the gap.
     */
    public List<Event> since(long since, long waitMillis) throws InterruptedException {
        lock.lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
            while (nextSeq <= since) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) return List.of();
                appended.awaitNanos(remaining);
            }
            List<Event> found = new ArrayList<>();
            for (Event event : events) if (event.seq() >= since) found.add(event);
            return found;
        } finally {
            lock.unlock();
        }
    }
}
