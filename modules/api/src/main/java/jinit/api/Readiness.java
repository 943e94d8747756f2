package jinit.api;

/**
 * When a job counts as ready, and what init does about a job that is not, or stops saying it is alive.
 *
 * @param protocol how the job says it is ready
 * @param timeout  ms from the start within which the job must be ready, else it is stopped as a failure; 0 for none
 * @param watchdog ms the job may go without sending {@code WATCHDOG=1} once ready, else it is sent ABRT; 0 for none.
 *                 Only with {@link Protocol.Notify}
 */
public record Readiness(Protocol protocol, long timeout, long watchdog) {

    /** How a job says it is ready. The supervisor switches over these exhaustively. */
    public sealed interface Protocol {
        /** No protocol: ready as soon as the process runs (a spec without {@code ready}). */
        record Running() implements Protocol {}

        /** systemd's sd_notify(3): {@code READY=1} on the datagram socket named by {@code NOTIFY_SOCKET}. */
        record Notify() implements Protocol {}

        /** s6's notification fd: a newline written to descriptor {@code fd} (3 or more). */
        record Fd(int fd) implements Protocol {}
    }

    /** A spec without {@code ready}: ready once running, no timeout, no watchdog. */
    public static final Readiness WHEN_RUNNING = new Readiness(new Protocol.Running(), 0, 0);

    /** Whether the job tells init itself when it is ready. */
    public boolean announced() {
        return !(protocol instanceof Protocol.Running);
    }
}
