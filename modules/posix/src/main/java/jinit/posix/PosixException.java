package jinit.posix;

/** A system call failed; the message reads like {@code mount /proc: Operation not permitted (EPERM)}. */
public final class PosixException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int errno;
    private final String syscall;

    /** For callers that build their own message, such as test doubles. */
    public PosixException(String syscall, int errno, String message) {
        super(message);
        this.syscall = syscall;
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    /** The call that failed, e.g. "mount". */
    public String syscall() {
        return syscall;
    }
}
