package jinit.api;

import java.time.Instant;

/** Where a job is in its life. The supervisor switches over these exhaustively. */
public sealed interface JobState {
    /** A live process; {@code pid} is not yet reaped, so signalling it is safe. */
    record Running(int pid) implements JobState {}

    /** The process ended and was reaped. */
    record Exited(ExitStatus exit, Instant exitedAt) implements JobState {}

    /** The wire name of the state. */
    default String label() {
        return switch (this) {
            case Running r -> "running";
            case Exited e -> "exited";
        };
    }
}
