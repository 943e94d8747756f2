package jinit.api;

/** A request body that is not a valid job spec. The message names the offending field. */
public final class SpecException extends Exception {
    public SpecException(String message) {
        super(message, null, false, false);
    }
}
