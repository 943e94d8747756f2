package jinit.api;

/** Job ids are safe in paths, URLs and log lines: {@code [A-Za-z0-9][A-Za-z0-9._-]{0,63}}. */
public final class JobId {

    private JobId() {}

    public static boolean isValid(String id) {
        // By hand rather than a regex: every request with an id checks one.
        if (id == null || id.isEmpty() || id.length() > 64 || !alphanumeric(id.charAt(0))) return false;
        for (int i = 1; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!alphanumeric(c) && c != '.' && c != '_' && c != '-') return false;
        }
        return true;
    }

    private static boolean alphanumeric(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
}
