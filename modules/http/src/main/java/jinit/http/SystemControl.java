package jinit.http;

/** Power actions, which belong to init itself rather than to any job. */
public interface SystemControl {
    enum Action { POWEROFF, REBOOT, HALT }

    /** Starts an orderly shutdown ending in {@code action}; returns at once. */
    void shutdown(Action action, String reason);
}
