package jinit.posix;

/**
 * Starting a process failed; the message reads like
 * {@code exec /nope: No such file or directory (ENOENT)} or {@code chdir /srv/x: ...}.
 */
public final class SpawnException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int errno;

    /** For callers that build their own message, such as test doubles. */
    public SpawnException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
