package jinit.boot;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A plain HTTP/1.1 client on a socket. It sends exactly the bytes a test asks for (no header is
 * added behind its back, which a test of 413 and 415 needs) and reads one answer per request, so
 * a {@link Connection} can be held open to prove keep-alive. java.base only.
 */
final class Http {
    private static final int TIMEOUT_MS = 20_000;

    private Http() {}

    /** One answer. Header names are lower-cased; the body is what came after the headers. */
    record Response(int status, Map<String, List<String>> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The single value of a header, or null. */
        String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            if (values == null) return null;
            if (values.size() != 1) throw new AssertionError("header " + name + " appears " + values.size() + " times");
            return values.getFirst();
        }

        Map<String, Object> json() {
            return Json.object(text());
        }

        @Override
        public String toString() {
            return status + " " + text();
        }
    }

    /** A request in one fresh connection. */
    static Response request(InetSocketAddress address, String method, String path, Map<String, String> headers, byte[] body)
            throws IOException {
        try (Connection connection = Connection.open(address)) {
            return connection.send(method, path, headers, body);
        }
    }

    /** A kept-alive connection; it fails rather than reconnect if the server closes it. */
    static final class Connection implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final String host;

        private Connection(Socket socket, String host) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
            this.host = host;
        }

        static Connection open(InetSocketAddress address) throws IOException {
            Socket socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(TIMEOUT_MS);
            socket.connect(address, TIMEOUT_MS);
            return new Connection(socket, address.getAddress().getHostAddress() + ":" + address.getPort());
        }

        /**
         * Sends a request with {@code Host} and, when there is a body, {@code Content-Length}, plus
         * {@code headers}; a header given there replaces the defaults (a null value drops it).
         */
        Response send(String method, String path, Map<String, String> headers, byte[] body) throws IOException {
            Map<String, String> all = new LinkedHashMap<>();
            all.put("Host", host);
            if (body != null) all.put("Content-Length", Integer.toString(body.length));
            all.putAll(headers);
            StringBuilder head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n");
            all.forEach((name, value) -> {
                if (value != null) head.append(name).append(": ").append(value).append("\r\n");
            });
            head.append("\r\n");
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            request.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) request.writeBytes(body);
            return sendRaw(request.toByteArray(), method.equals("HEAD"));
        }

        /**
         * Writes {@code request} as it is and reads one answer. The writing happens on its own thread,
         * as curl does it: a server may answer (a 413, say) and close before it has read the whole
         * body, and that answer must still be read.
         */
        Response sendRaw(byte[] request, boolean head) throws IOException {
            CompletableFuture<Void> written = CompletableFuture.runAsync(() -> {
                try {
                    out.write(request);
                    out.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, runnable -> Thread.ofPlatform().daemon().name("http-test-writer").start(runnable));
            Response response;
            try {
                response = read(head);
            } catch (IOException e) {
                socket.close();
                throw e;
            }
            try {
                written.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // Answered before the request was all sent: this connection is done.
                socket.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            return response;
        }

        /**
         * Sends a bodiless request and reads only the answer's head: the body is then read as it
         * arrives, through the returned {@link Streamed}, the way {@code curl -N} prints it.
         */
        Streamed stream(String method, String path, Map<String, String> headers) throws IOException {
            Map<String, String> all = new LinkedHashMap<>();
            all.put("Host", host);
            all.putAll(headers);
            StringBuilder head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n");
            all.forEach((name, value) -> {
                if (value != null) head.append(name).append(": ").append(value).append("\r\n");
            });
            head.append("\r\n");
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Head answer = head();
            return new Streamed(this, answer.status(), answer.headers());
        }

        /** How long one read may block before it fails with a SocketTimeoutException. */
        void timeout(int millis) throws IOException {
            socket.setSoTimeout(millis);
        }

        private record Head(int status, Map<String, List<String>> headers) {}

        private Head head() throws IOException {
            String statusLine = line();
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) throw new IOException("not an HTTP answer: " + statusLine);
            int status = Integer.parseInt(parts[1]);
            Map<String, List<String>> headers = new LinkedHashMap<>();
            for (String line = line(); !line.isEmpty(); line = line()) {
                int colon = line.indexOf(':');
                headers.computeIfAbsent(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(line.substring(colon + 1).strip());
            }
            return new Head(status, headers);
        }

        private Response read(boolean head) throws IOException {
            Head answer = head();
            int status = answer.status();
            Map<String, List<String>> headers = answer.headers();
            byte[] body;
            List<String> length = headers.get("content-length");
            List<String> encoding = headers.get("transfer-encoding");
            if (head || status == 204 || status == 304 || status / 100 == 1) {
                body = new byte[0];
            } else if (encoding != null && encoding.getLast().equalsIgnoreCase("chunked")) {
                body = chunked();
            } else if (length != null) {
                body = in.readNBytes(Integer.parseInt(length.getFirst()));
            } else {
                body = in.readAllBytes(); // the server closes the connection to end the body
            }
            return new Response(status, headers, body);
        }

        private byte[] chunked() throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                int size = Integer.parseInt(line().split(";", 2)[0].strip(), 16);
                if (size == 0) {
                    while (!line().isEmpty()) {
                        // trailers: none expected, skipped
                    }
                    return body.toByteArray();
                }
                body.writeBytes(in.readNBytes(size));
                line();
            }
        }

        private String line() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            while (true) {
                int b = in.read();
                if (b < 0) throw new EOFException("the server closed the connection");
                if (b == '\n') break;
                line.write(b);
            }
            String text = line.toString(StandardCharsets.ISO_8859_1);
            return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /**
     * An answer whose body is read while it is still being sent (log follow, events). Its lines come
     * out as soon as their last byte is in; {@link #readLine()} returns null once the body has ended
     * (the final chunk of a chunked body, the declared length, or the server closing).
     */
    static final class Streamed implements AutoCloseable {
        private final Connection connection;
        private final int status;
        private final Map<String, List<String>> headers;
        private final boolean chunked;
        /** Body bytes still to read: in the current chunk, or of the declared length; -1 if unknown. */
        private long remaining;
        private boolean ended;

        private Streamed(Connection connection, int status, Map<String, List<String>> headers) {
            this.connection = connection;
            this.status = status;
            this.headers = headers;
            List<String> encoding = headers.get("transfer-encoding");
            List<String> length = headers.get("content-length");
            this.chunked = encoding != null && encoding.getLast().equalsIgnoreCase("chunked");
            this.remaining = chunked ? 0 : length != null ? Long.parseLong(length.getFirst()) : -1;
            this.ended = status == 204 || (!chunked && remaining == 0);
        }

        int status() {
            return status;
        }

        /** The single value of a header, or null. */
        String header(String name) {
            return new Response(status, headers, new byte[0]).header(name);
        }

        /** How long one read may block for the next bytes before it fails. */
        Streamed timeout(int millis) throws IOException {
            connection.timeout(millis);
            return this;
        }

        /**
         * The next line of the body without its newline, as soon as it is complete; a last line
         * without a newline comes when the body ends; null after the end.
         */
        String readLine() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            while (true) {
                int b = read();
                if (b < 0) return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
                if (b == '\n') return line.toString(StandardCharsets.UTF_8);
                line.write(b);
            }
        }

        /** Everything left of the body, until it ends. */
        String readRest() throws IOException {
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            for (int b = read(); b >= 0; b = read()) rest.write(b);
            return rest.toString(StandardCharsets.UTF_8);
        }

        private int read() throws IOException {
            if (ended) return -1;
            if (chunked && remaining == 0) {
                int size = Integer.parseInt(connection.line().split(";", 2)[0].strip(), 16);
                if (size == 0) {
                    while (!connection.line().isEmpty()) {
                        // trailers: none expected, skipped
                    }
                    ended = true;
                    return -1;
                }
                remaining = size;
            }
            int b = connection.in.read();
            if (b < 0) {
                if (remaining > 0) throw new EOFException("the server closed the connection inside the body");
                ended = true;
                return -1;
            }
            if (remaining > 0 && --remaining == 0) {
                if (chunked) connection.line(); // the CRLF after a chunk's data
                else ended = true;
            }
            return b;
        }

        @Override
        public void close() throws IOException {
            connection.close();
        }
    }

    /** Opens a connection and sends a GET whose answer is read as it streams in. */
    static Streamed stream(InetSocketAddress address, String path) throws IOException {
        Connection connection = Connection.open(address);
        try {
            return connection.stream("GET", path, Map.of());
        } catch (IOException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }
}
