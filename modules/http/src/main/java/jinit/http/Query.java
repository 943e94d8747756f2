package jinit.http;

import com.sun.net.httpserver.HttpExchange;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** A request's query parameters, decoded, with typed reads that fail as 400s naming the parameter. */
record Query(Map<String, String> values) {

    static Query of(HttpExchange exchange) throws HttpError {
        String raw = exchange.getRequestURI().getRawQuery();
        Map<String, String> values = new HashMap<>();
        if (raw != null && !raw.isEmpty()) {
            for (String pair : raw.split("&")) {
                if (pair.isEmpty()) continue;
                int equals = pair.indexOf('=');
                try {
                    String key = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
                    String value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
                    values.put(key, value);
                } catch (IllegalArgumentException e) {
                    throw new HttpError(400, "malformed percent-encoding in the query");
                }
            }
        }
        return new Query(values);
    }

    String get(String name) {
        return values.get(name);
    }

    /** A whole number in [min, max]; {@code absent} when the parameter is missing. */
    long number(String name, long min, long max, long absent) throws HttpError {
        String text = values.get(name);
        if (text == null) return absent;
        try {
            long value = Long.parseLong(text);
            if (value >= min && value <= max) return value;
        } catch (NumberFormatException e) {
            // fall through to the error
        }
        throw new HttpError(400, "query parameter '" + name + "' must be a whole number from " + min + " to " + max);
    }

    /** "1", "true" or a bare "?name" turn a flag on. */
    boolean flag(String name) throws HttpError {
        String text = values.get(name);
        if (text == null) return false;
        return switch (text) {
            case "", "1", "true" -> true;
            case "0", "false" -> false;
            default -> throw new HttpError(400, "query parameter '" + name + "' must be 1 or 0");
        };
    }
}
