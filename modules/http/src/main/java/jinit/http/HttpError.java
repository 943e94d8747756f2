package jinit.http;

/** An answer other than success, decided before any job logic ran. */
final class HttpError extends Exception {
    private final int status;
    private final String allow;

    HttpError(int status, String message) {
        this(status, message, null);
    }

    private HttpError(int status, String message, String allow) {
        super(message, null, false, false);
        this.status = status;
        this.allow = allow;
    }

    static HttpError methodNotAllowed(String allow) {
        return new HttpError(405, "method not allowed; use " + allow, allow);
    }

    int status() {
        return status;
    }

    String allow() {
        return allow;
    }
}
