package jinit.boot;

import jinit.http.JobJson;
import jinit.api.SpecException;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * JSON for the tests, through the daemon's own strict reader (duplicate keys are errors, field order is kept) and
 * writer, {@link JobJson}.
 */
final class Json {
    private Json() {}

    static Map<String, Object> object(String text) {
        try {
            return JobJson.readObject(text.getBytes(StandardCharsets.UTF_8));
        } catch (SpecException e) {
            throw new AssertionError("not a JSON object: " + e.getMessage() + ": " + text, e);
        }
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> array(String text) {
        Object value;
        try {
            value = JobJson.read(text.getBytes(StandardCharsets.UTF_8));
        } catch (SpecException e) {
            throw new AssertionError("not JSON: " + e.getMessage() + ": " + text, e);
        }
        if (!(value instanceof List<?> list)) throw new AssertionError("not a JSON array: " + text);
        return (List<Map<String, Object>>) list;
    }

    /** Writes maps (a LinkedHashMap keeps its order), lists, strings, numbers, booleans and nulls. */
    static String write(Object value) {
        return new String(JobJson.value(value), StandardCharsets.UTF_8);
    }
}
