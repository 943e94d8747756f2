package jinit.supervisor;

import java.time.Instant;
import java.time.InstantSource;
import java.util.PriorityQueue;

/** A clock and scheduler that move only when a test says so; tasks run on the test's thread. */
final class ManualTime implements InstantSource, Scheduler {
    private record Task(long dueMillis, long order, Runnable body, boolean[] cancelled) {}

    private final PriorityQueue<Task> tasks = new PriorityQueue<>((a, b) -> a.dueMillis != b.dueMillis
            ? Long.compare(a.dueMillis, b.dueMillis) : Long.compare(a.order, b.order));
    private long nowMillis = 1_000_000;
    private long order;

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(nowMillis);
    }

    @Override
    public long millis() {
        return nowMillis;
    }

    @Override
    public Cancellable after(long delayMillis, Runnable task) {
        boolean[] cancelled = {false};
        tasks.add(new Task(nowMillis + delayMillis, order++, task, cancelled));
        return () -> cancelled[0] = true;
    }

    /** Moves time forward, running every task that falls due, at its due time. */
    void advance(long millis) {
        long target = nowMillis + millis;
        while (!tasks.isEmpty() && tasks.peek().dueMillis <= target) {
            Task task = tasks.poll();
            nowMillis = Math.max(nowMillis, task.dueMillis);
            if (!task.cancelled[0]) task.body.run();
        }
        nowMillis = target;
    }

    /** Runs every pending task, however far ahead. */
    void runAll() {
        while (!tasks.isEmpty()) advance(Math.max(0, tasks.peek().dueMillis - nowMillis));
    }
}
