package jinit.supervisor;

/** A valid spec that cannot start: missing executable, missing cwd, unknown account. Carries the errno text. */
public final class LaunchException extends Exception {
    public LaunchException(String message) {
        super(message, null, false, false);
    }
}
