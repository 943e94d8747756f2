package jinit.supervisor;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** Runs tasks later: restarts after their backoff, KILL after a stop timeout. Tests drive a simulated one. */
public interface Scheduler {

    /** A scheduled task that can still be called off. */
    interface Cancellable {
        void cancel();
    }

    Cancellable after(long delayMillis, Runnable task);

    /** One platform thread; tasks are short (they take the supervisor's lock and start or signal a process). */
    static Scheduler system() {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("jinit-scheduler").daemon(true).factory());
        return (delayMillis, task) -> {
            ScheduledFuture<?> future = executor.schedule(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    System.err.println("jinit: scheduled task failed: " + e);
                } catch (Error e) {
                    // The future would keep it where nobody looks: a restart or a KILL lost for good, the job stuck.
                    // It goes to the thread's uncaught-exception handler, as it would on any other thread.
                    Thread self = Thread.currentThread();
                    self.getUncaughtExceptionHandler().uncaughtException(self, e);
                }
            }, delayMillis, TimeUnit.MILLISECONDS);
            return () -> future.cancel(false);
        };
    }
}
