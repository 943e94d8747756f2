package jinit.api;

import java.time.Instant;

/**
 * A snapshot of one job, as the API shows it.
 *
 * @param startedAt when the current (or last) process started
 * @param restarts  how many times the restart policy started it again
 * @param error     why the last restart could not start, or null
 * @param owner     the uid that created the job
 */
public record Job(String id, JobSpec spec, JobState state, Instant startedAt, int restarts, String error, int owner) {

    public boolean running() {
        return state instanceof JobState.Running;
    }

    /** Ended for good: no process and no restart pending. */
    public boolean ended() {
        return state instanceof JobState.Exited;
    }
}
