package jinit.posix;

/** How a child ended. */
public sealed interface WaitStatus {
    /** It called exit(code). */
    record Exited(int code) implements WaitStatus {}

    /** A signal ended it. */
    record Killed(int signal, boolean coreDumped) implements WaitStatus {}

    /** The exit status a shell would report: the code, or 128 + signal. */
    default int shellStatus() {
        return switch (this) {
            case Exited(int code) -> code;
            case Killed(int signal, _) -> 128 + signal;
        };
    }
}
