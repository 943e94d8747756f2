import com.sun.net.httpserver.HttpServer;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The JVM's own floor under jinit: the smallest daemon that does what jinit's startup figure waits for
 * (answer GET with a JSON body on loopback, on jdk.httpserver), run on the runtime image's java with its
 * baked flags. What jinit costs above this is jinit's; what this costs is the JVM's.
 *
 * <pre>java -cp DIR JvmFloor PORT</pre>
 */
public final class JvmFloor {
    public static void main(String[] args) throws Exception {
        byte[] body = "[]".getBytes(StandardCharsets.US_ASCII);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0])), 128);
        server.createContext("/", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }
}
