import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The HTTP floor: nginx serving files from a private root on a free loopback port. bench/run puts the
 * very bytes jinit answered into those files, so both servers send the same answer; the difference is
 * what jinit's own request handling costs.
 */
final class Nginx implements AutoCloseable {
    final Process process;
    final int port;
    final Path root;

    private Nginx(Process process, int port, Path root) {
        this.process = process;
        this.port = port;
        this.root = root;
    }

    static Nginx start(Path dir) throws IOException, InterruptedException {
        Path root = Files.createDirectories(dir.resolve("www"));
        int port = Proc.freePort();
        // Everything nginx writes stays in dir; its temp paths too (the package's default is /var/lib/nginx).
        Files.writeString(dir.resolve("nginx.conf"), """
                daemon off;
                worker_processes auto;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 1024; }
                http {
                    access_log off;
                    keepalive_requests 100000000;
                    client_body_temp_path %1$s/tmp-body;
                    proxy_temp_path %1$s/tmp-proxy;
                    fastcgi_temp_path %1$s/tmp-fastcgi;
                    uwsgi_temp_path %1$s/tmp-uwsgi;
                    scgi_temp_path %1$s/tmp-scgi;
                    default_type application/json;
                    server {
                        listen 127.0.0.1:%2$d;
                        root %1$s/www;
                    }
                }
                """.formatted(dir, port));
        Path log = dir.resolve("stdout.log");
        Process p = Proc.start(List.of("nginx", "-p", dir.toString(), "-e", dir.resolve("error.log").toString(),
                "-c", dir.resolve("nginx.conf").toString()), log, null);
        Files.writeString(root.resolve("ping"), "{}");
        Daemon.awaitFirstAnswer(p, log, () -> {
            try (Http h = new Http("127.0.0.1", port)) {
                return h.get("/ping").status() == 200;
            }
        });
        return new Nginx(p, port, root);
    }

    /** Serves {@code body} at /NAME. */
    String serve(String name, byte[] body) throws IOException {
        Files.write(root.resolve(name), body);
        return "http://127.0.0.1:" + port + "/" + name;
    }

    @Override
    public void close() throws InterruptedException {
        Proc.stop(process, 5_000); // TERM: nginx's fast shutdown, workers included
    }
}
