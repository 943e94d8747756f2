package jinit.api;

import java.time.Instant;

/**
 * A snapshot of one job, as the API shows it.
 *
 * @param startedAt    when the current (or last) process started
 * @param restarts     how many times the restart policy started it again
 * @param error        why the last restart could not start, or null
 * @param owner        the uid that created the job
 * @param ready        the current process is running and ready (see {@link Readiness})
 * @param readyAt      when the current (or last) process became ready, or null if it never did
 * @param status       the last {@code STATUS=} the current (or last) process sent, or null
 * @param watchdogExit the last process ended after its watchdog fired
 */
public record Job(String id, JobSpec spec, JobState state, Instant startedAt, int restarts, String error, int owner,
                  boolean ready, Instant readyAt, String status, boolean watchdogExit) {

    /** A job as it is once started with no readiness protocol. */
    public Job(String id, JobSpec spec, JobState state, Instant startedAt, int restarts, String error, int owner) {
        this(id, spec, state, startedAt, restarts, error, owner, state instanceof JobState.Running,
                state instanceof JobState.Running ? startedAt : null, null, false);
    }

    public boolean running() {
        return state instanceof JobState.Running;
    }

    /** Ended for good: no process and no restart pending. */
    public boolean ended() {
        return state instanceof JobState.Exited;
    }

    /** This job as another spec shows it (a redacted view): everything else is the same. */
    public Job withSpec(JobSpec shown) {
        return new Job(id, shown, state, startedAt, restarts, error, owner, ready, readyAt, status, watchdogExit);
    }
}
