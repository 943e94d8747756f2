package jinit.http;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 exchange on a socket of its own, in java.base alone: the request exactly as a test writes it (only
 * Host and Connection: close are added, and Content-Length for a body), the answer as it comes, a chunk at a time for
 * a stream. Its local port is known before it connects, so a test can tell the server's PeerIdentity whose it is.
 */
final class Wire implements AutoCloseable {
    /** What came back. Header names are lower-cased. */
    record Answer(int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        /** The body as JSON; it must be some. */
        Object json() {
            try {
                return JobJson.read(body);
            } catch (jinit.api.SpecException e) {
                throw new AssertionError("not JSON: " + text(), e);
            }
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> object() {
            if (!(json() instanceof Map<?, ?> map)) throw new AssertionError("not a JSON object: " + text());
            return (Map<String, Object>) map;
        }

        @Override
        public String toString() {
            return status + " " + headers + " " + text();
        }
    }

    private final Socket socket = new Socket();
    private final InetSocketAddress server;
    private InputStream in;
    private String method;
    private boolean chunked;
    private long length;

    Wire(InetSocketAddress server) throws IOException {
        this.server = server;
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        socket.setSoTimeout(10_000);
    }

    int localPort() {
        return socket.getLocalPort();
    }

    void send(String method, String target, Map<String, String> headers, String body) throws IOException {
        this.method = method;
        socket.connect(server, 10_000);
        in = new BufferedInputStream(socket.getInputStream());
        StringBuilder request = new StringBuilder(method + " " + target + " HTTP/1.1\r\n");
        request.append("Host: 127.0.0.1:").append(server.getPort()).append("\r\nConnection: close\r\n");
        byte[] bytes = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
        if (bytes != null) request.append("Content-Length: ").append(bytes.length).append("\r\n");
        headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
        socket.getOutputStream().write(request.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        if (bytes != null) socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
    }

    /** The status line and headers; the body is left to {@link #chunk()} or {@link #answer()}. */
    Answer head() throws IOException {
        String[] status = line().split(" ", 3);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String header = line(); !header.isEmpty(); header = line()) {
            int colon = header.indexOf(':');
            headers.put(header.substring(0, colon).strip().toLowerCase(Locale.ROOT), header.substring(colon + 1).strip());
        }
        int code = Integer.parseInt(status[1]);
        chunked = "chunked".equalsIgnoreCase(headers.get("transfer-encoding"));
        boolean none = method.equals("HEAD") || code == 204 || code == 304;
        length = none ? 0 : headers.containsKey("content-length") ? Long.parseLong(headers.get("content-length")) : -1;
        return new Answer(code, headers, new byte[0]);
    }

    /** The next chunk of a chunked body, as it comes; null after the last. */
    byte[] chunk() throws IOException {
        int size = Integer.parseInt(line().split(";", 2)[0].strip(), 16);
        if (size == 0) {
            while (!line().isEmpty()) { } // trailers
            return null;
        }
        byte[] data = in.readNBytes(size);
        if (data.length < size) throw new EOFException("a chunk cut short");
        line();
        return data;
    }

    /** The whole answer, its body read to the end. */
    Answer answer() throws IOException {
        Answer head = head();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (chunked) {
            for (byte[] chunk = chunk(); chunk != null; chunk = chunk()) body.writeBytes(chunk);
        } else if (length >= 0) {
            body.writeBytes(in.readNBytes((int) length));
        } else {
            body.writeBytes(in.readAllBytes());
        }
        return new Answer(head.status(), head.headers(), body.toByteArray());
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) throw new EOFException("the connection ended mid-line: " + line);
            if (b != '\r') line.write(b);
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
