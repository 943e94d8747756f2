package jinit.posix;

/** A system call failed; the message reads like {@code mount /proc: Operation not permitted (EPERM)}. */
public final class PosixException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int errno;

    /** For callers that build their own message, such as test doubles. */
    public PosixException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
