package jinit.http;

import com.sun.net.httpserver.HttpExchange;
import jinit.api.JobJson;

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
    private final Streamer streamer;
    private final String contentType;
    /** A stream whose client waits for the headers before it reads on (log follow, events). */
    private final boolean live;
    private final List<String[]> headers = new ArrayList<>(2);

    private Reply(int status, byte[] body, Streamer streamer, String contentType, boolean live) {
        this.status = status;
        this.body = body;
        this.streamer = streamer;
        this.contentType = contentType;
        this.live = live;
    }

    private Reply(int status, byte[] body, Streamer streamer, String contentType) {
        this(status, body, streamer, contentType, false);
    }

    static Reply json(int status, byte[] body) {
        return new Reply(status, body, null, "application/json");
    }

    static Reply text(int status, byte[] body) {
        return new Reply(status, body, null, "text/plain; charset=utf-8");
    }

    /** A body of unknown length that goes on as data comes, sent with chunked encoding. */
    static Reply stream(String contentType, Streamer streamer) {
        return new Reply(200, null, streamer, contentType, true);
    }

    /** A large JSON body, written as it is made (chunked) instead of being built in memory first. */
    static Reply jsonStream(Streamer streamer) {
        return new Reply(200, null, streamer, "application/json", false);
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
            if (live) responseHeaders.set("Cache-Control", "no-store");
            exchange.sendResponseHeaders(status, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                if (live) out.flush(); // the headers go now: a client may wait for them before it does anything else
                streamer.writeTo(out);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
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
