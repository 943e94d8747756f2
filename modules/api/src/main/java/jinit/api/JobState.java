package jinit.api;

import java.time.Instant;

/** Where a job is in its life. The supervisor switches over these exhaustively. */
public sealed interface JobState {
    /** A live process; {@code pid} is not yet reaped, so signalling it is safe. */
    record Running(int pid) implements JobState {}

    /** The process ended and a restart is scheduled for {@code nextStartAt}. */
    record Backoff(ExitStatus lastExit, Instant exitedAt, Instant nextStartAt) implements JobState {}

    /**
     * No process and none coming. {@code exit} is null only for a job whose restart never ran.
     * {@code gaveUp}: the restart policy's burst limit was hit.
     */
    record Exited(ExitStatus exit, Instant exitedAt, boolean gaveUp) implements JobState {}

    /** The wire name of the state. */
    default String label() {
        return switch (this) {
            case Running r -> "running";
            case Backoff b -> "backoff";
            case Exited e -> "exited";
        };
    }
}
