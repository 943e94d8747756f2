package jinit.api;

import java.time.Instant;

/** A snapshot of one job, as the API shows it. */
public record Job(String id, JobSpec spec, JobState state, Instant startedAt, int restarts) {

    public boolean running() {
        return state instanceof JobState.Running;
    }
}
