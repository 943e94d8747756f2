package jinit.api;

/** How a process ended: an exit code, or death by a signal. */
public sealed interface ExitStatus {
    record Code(int code) implements ExitStatus {}

    record Signaled(int signal, boolean coreDumped) implements ExitStatus {}

    /** What a shell would report: the code, or 128 + the signal. */
    default int shellStatus() {
        return switch (this) {
            case Code(int code) -> code;
            case Signaled(int signal, boolean ignored) -> 128 + signal;
        };
    }

    /**
     * How it ended, for a log line to say after "with" or "after": {@code exit code 3}, {@code SIGTERM},
     * {@code SIGSEGV (core dumped)}.
     */
    default String describe() {
        return switch (this) {
            case Code(int code) -> "exit code " + code;
            case Signaled(int signal, boolean coreDumped) -> "SIG" + Signal.name(signal) + (coreDumped ? " (core dumped)" : "");
        };
    }
}
