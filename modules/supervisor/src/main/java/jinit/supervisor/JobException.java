package jinit.supervisor;

/** A request the job table refuses, with the reason the HTTP layer turns into a status code. */
public final class JobException extends Exception {
    public enum Reason {
        /** No job has that id. */
        NOT_FOUND,
        /** An access rule refuses the caller. */
        FORBIDDEN,
        /** The job is in a state that forbids the request (running on PUT/DELETE, not running on a signal). */
        CONFLICT,
        /** The spec is valid but cannot start. */
        CANNOT_START,
        /** The table is full; nothing is evicted to make room. */
        FULL,
        /** The caller holds its whole share of the table. */
        OVER_SHARE,
        /** Init is shutting down and starts nothing new. */
        SHUTTING_DOWN
    }

    private final Reason reason;

    public JobException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
