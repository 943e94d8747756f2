package jinit.http;

import java.util.Map;

/** Power actions and init's own state, which belong to init itself rather than to any job. */
public interface SystemControl {
    enum Action { POWEROFF, REBOOT, HALT }

    /** Starts an orderly shutdown ending in {@code action}; returns at once. */
    void shutdown(Action action, String reason);

    /** What GET /system answers: plain values, lists and maps, nothing secret (anyone admitted may read it). */
    default Map<String, Object> status() {
        return Map.of();
    }
}
