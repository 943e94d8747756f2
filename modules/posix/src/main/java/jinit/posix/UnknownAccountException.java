package jinit.posix;

/** A user or group name that /etc/passwd or /etc/group does not list, e.g. "unknown user 'bob'". */
public final class UnknownAccountException extends Exception {
    private static final long serialVersionUID = 1L;

    public UnknownAccountException(String message) {
        super(message);
    }
}
