package jinit.api;

/** How a process ended: an exit code, or death by a signal. */
public sealed interface ExitStatus {
    record Code(int code) implements ExitStatus {}

    /** @param oom the kernel's OOM killer sent the signal: the job's cgroup counted an oom_kill while it ran */
    record Signaled(int signal, boolean coreDumped, boolean oom) implements ExitStatus {
        public Signaled(int signal, boolean coreDumped) {
            this(signal, coreDumped, false);
        }
    }

    /** What a shell would report: the code, or 128 + the signal. */
    default int shellStatus() {
        return switch (this) {
            case Code(int code) -> code;
            case Signaled(int signal, boolean ignored, boolean oom) -> 128 + signal;
        };
    }

    /**
     * How it ended, for a log line to say after "with" or "after": {@code exit code 3}, {@code SIGTERM},
     * {@code SIGSEGV (core dumped)}.
     */
    default String describe() {
        return switch (this) {
            case Code(int code) -> "exit code " + code;
            case Signaled(int signal, boolean coreDumped, boolean oom) -> "SIG" + Signal.name(signal)
                    + (coreDumped ? " (core dumped)" : "") + (oom ? " (out of memory)" : "");
        };
    }
}
