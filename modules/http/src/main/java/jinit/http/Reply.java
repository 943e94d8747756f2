package jinit.http;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * An answer. Most are complete before anything is sent, so a failure midway can still become a clean
 * error; streams (log follow, events) send their headers first and then write as data comes.
 */
final class Reply {
    /** Writes a streamed body; it returns when the stream is over or the client has gone. */
    @FunctionalInterface
    interface Streamer {
        void writeTo(OutputStream out) throws IOException, InterruptedException;
    }

    private final int status;
    private final byte[] body;
    /** A JSON array sent as its elements' bytes, without first copying them into one body. */
    private final List<byte[]> elements;
    private final Streamer streamer;
    private final String contentType;
    private final List<String[]> headers = new ArrayList<>(2);

    private Reply(int status, byte[] body, Streamer streamer, String contentType) {
        this(status, body, null, streamer, contentType);
    }

    private Reply(int status, byte[] body, List<byte[]> elements, Streamer streamer, String contentType) {
        this.status = status;
        this.body = body;
        this.elements = elements;
        this.streamer = streamer;
        this.contentType = contentType;
    }

    static Reply json(int status, byte[] body) {
        return new Reply(status, body, null, "application/json");
    }

    /** 200 with a JSON array of these already-written elements. */
    static Reply jsonArray(List<byte[]> elements) {
        return new Reply(200, null, elements, null, "application/json");
    }

    /** A body of unknown length, sent with chunked encoding. */
    static Reply stream(String contentType, Streamer streamer) {
        return new Reply(200, null, streamer, contentType);
    }

    static Reply noContent() {
        return new Reply(204, null, null, null);
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
        if (streamer != null) {
            responseHeaders.set("Cache-Control", "no-store");
            exchange.sendResponseHeaders(status, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                out.flush(); // the headers go now: a client may wait for them before it does anything else
                streamer.writeTo(out);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        if (elements != null) {
            long length = 2 + Math.max(0, elements.size() - 1);
            for (byte[] element : elements) length += element.length;
            exchange.sendResponseHeaders(status, length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write('[');
                for (int i = 0; i < elements.size(); i++) {
                    if (i > 0) out.write(',');
                    out.write(elements.get(i));
                }
                out.write(']');
            }
            return;
        }
        // A HEAD answer has no body. Given a length for one, jdk.httpserver logs a WARNING on the console for every
        // request, past RefusalLog's throttle: a flood of HEADs would drown the console.
        if (body == null || exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
