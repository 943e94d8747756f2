package jinit.http;

import com.sun.net.httpserver.HttpServer;
import jinit.supervisor.AccessPolicy;
import jinit.supervisor.Supervisor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/** The HTTP endpoint: one context, one virtual thread per exchange. */
public final class ApiServer implements AutoCloseable {

    /**
     * jdk.httpserver's limits, read once when its classes load, so they are set before the first server.
     * A value given on the command line (-D) wins.
     */
    static final Map<String, String> SERVER_LIMITS = Map.of(
            // Without it every keep-alive answer waits 44 ms for Nagle and delayed ACK.
            "sun.net.httpserver.nodelay", "true",
            // Open connections at most; more are closed at accept. Far above any boot script's needs,
            // below init's fd limit (the JVM raises the soft limit to the hard one, 4096 for PID 1).
            "jdk.httpserver.maxConnections", "2048",
            // Seconds a client may take to send a whole request: slowloris connections are cut after this.
            "sun.net.httpserver.maxReqTime", "10",
            // Seconds an idle keep-alive connection stays open.
            "sun.net.httpserver.idleInterval", "30",
            // Header lines per request, and their total size in bytes.
            "sun.net.httpserver.maxReqHeaders", "64",
            "sun.net.httpserver.maxReqHeaderSize", "16384");

    /**
     * @param address     where to listen
     * @param token       the per-boot admin token, or null
     * @param allowRemote the address is off loopback and the user asked for it; only the token then admits
     * @param peers       how to find the uid behind a connection
     */
    public record Config(InetSocketAddress address, String token, boolean allowRemote, PeerIdentity peers) {}

    private final HttpServer server;
    private final ExecutorService executor;

    private ApiServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Binds and starts serving. */
    public static ApiServer start(Config config, Supervisor supervisor, AccessPolicy policy, SystemControl system,
                                  Consumer<String> console) throws IOException {
        boolean loopback = config.address().getAddress().isLoopbackAddress();
        if (!loopback && !config.allowRemote()) {
            throw new IllegalArgumentException("refusing to serve the job API (root code execution) on "
                    + config.address().getAddress().getHostAddress() + " without --allow-remote");
        }
        SERVER_LIMITS.forEach((name, value) -> {
            if (System.getProperty(name) == null) System.setProperty(name, value);
        });
        HttpServer server = HttpServer.create(config.address(), 128);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        Guard guard = new Guard(config.address().getAddress(), config.token(), !loopback, config.peers());
        server.createContext("/", new Routes(supervisor, system, guard, policy, new RefusalLog(console)));
        server.start();
        return new ApiServer(server, executor);
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** Stops accepting, and waits up to {@code seconds} for exchanges in progress to finish. */
    public void stopGracefully(int seconds) {
        server.stop(seconds);
        executor.shutdownNow();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
