package jinit.posix;

import jinit.api.ExitStatus;

/** A child that ended and is still a zombie until {@link #reap()}. */
public final class ChildExit {
    private static final int WNOHANG = 1;

    private final int pid;
    private final ExitStatus status;
    private boolean reaped;

    ChildExit(int pid, ExitStatus status) {
        this.pid = pid;
        this.status = status;
    }

    public int pid() {
        return pid;
    }

    public ExitStatus status() {
        return status;
    }

    /**
     * Releases the zombie, after which the kernel may hand its pid to a new process. Idempotent;
     * the reaper calls it after the listener in any case.
     */
    public synchronized void reap() {
        if (!reaped) {
            reaped = true;
            LibC.waitpid(pid, 0, WNOHANG);
        }
    }

    @Override
    public String toString() {
        return "ChildExit[pid=" + pid + ", status=" + status + "]";
    }
}
