package jinit.api;

import java.util.regex.Pattern;

/** Job ids are safe in paths, URLs and log lines: {@code [A-Za-z0-9][A-Za-z0-9._-]{0,63}}. */
public final class JobId {
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private JobId() {}

    public static boolean isValid(String id) {
        return id != null && id.length() <= 64 && VALID.matcher(id).matches();
    }
}
