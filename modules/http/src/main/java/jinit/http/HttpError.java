package jinit.http;

/** An answer other than success, decided before any job logic ran. */
final class HttpError extends Exception {
    private final int status;
    private final String allow;
    private final boolean rule;

    HttpError(int status, String message) {
        this(status, message, null, false);
    }

    private HttpError(int status, String message, String allow, boolean rule) {
        super(message, null, false, false);
        this.status = status;
        this.allow = allow;
        this.rule = rule;
    }

    static HttpError methodNotAllowed(String allow) {
        return new HttpError(405, "method not allowed; use " + allow, allow, false);
    }

    /** A refusal by a security rule: its message names the rule, and it is logged on the console. */
    static HttpError rule(int status, String rule, String why) {
        return new HttpError(status, "rule '" + rule + "': " + why, null, true);
    }

    int status() {
        return status;
    }

    String allow() {
        return allow;
    }

    /** Whether a security rule refused the request (see {@link #rule}). */
    boolean byRule() {
        return rule;
    }
}
