package jinit.http;

import com.sun.net.httpserver.HttpExchange;
import jinit.api.JobJson;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/** A complete answer, built before anything is sent, so a failure midway can still become a clean error. */
final class Reply {
    private final int status;
    private final byte[] body;
    private final String contentType;
    private final List<String[]> headers = new ArrayList<>(2);

    private Reply(int status, byte[] body, String contentType) {
        this.status = status;
        this.body = body;
        this.contentType = contentType;
    }

    static Reply json(int status, byte[] body) {
        return new Reply(status, body, "application/json");
    }

    static Reply noContent() {
        return new Reply(204, null, null);
    }

    static Reply error(int status, String message) {
        return json(status, JobJson.error(message));
    }

    Reply header(String name, String value) {
        headers.add(new String[] {name, value});
        return this;
    }

    void send(HttpExchange exchange) throws IOException {
        var responseHeaders = exchange.getResponseHeaders();
        if (contentType != null) responseHeaders.set("Content-Type", contentType);
        for (String[] header : headers) responseHeaders.set(header[0], header[1]);
        if (body == null) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
