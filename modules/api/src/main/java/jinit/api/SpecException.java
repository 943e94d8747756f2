package jinit.api;

/** A request body that is not a valid job spec. The message names the offending field. */
public final class SpecException extends Exception {
    private final boolean conflict;

    public SpecException(String message) {
        this(message, false);
    }

    /** @param conflict each field is well formed, but they do not go together (a 422, where a bad field is a 400) */
    public SpecException(String message, boolean conflict) {
        super(message, null, false, false);
        this.conflict = conflict;
    }

    /** Each field is well formed, but they do not go together. */
    public boolean conflict() {
        return conflict;
    }
}
