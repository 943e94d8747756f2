package jinit.http;

import com.sun.net.httpserver.HttpServer;
import jinit.supervisor.AccessPolicy;
import jinit.supervisor.Supervisor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The HTTP endpoint: one context. Exchanges run on a pool of platform threads, which hands a request over
 * faster than a new virtual thread would; the requests that may block (waits, streams, stops) move on to a
 * virtual thread each, so that a thousand open event streams hold no platform threads.
 */
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
    /** How long a worker thread with nothing to do lives on. */
    static final long IDLE_WORKER_SECONDS = 30;

    public record Config(InetSocketAddress address, String token, boolean allowRemote, PeerIdentity peers) {}

    private final HttpServer server;
    private final ExecutorService exchanges;
    private final ExecutorService blockingRequests;

    private ApiServer(HttpServer server, ExecutorService exchanges, ExecutorService blockingRequests) {
        this.server = server;
        this.exchanges = exchanges;
        this.blockingRequests = blockingRequests;
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
        // Unbounded, because the server reads a request's headers on this thread too: a slow client must
        // not hold up the others. Idle workers end after IDLE_WORKER_SECONDS.
        ExecutorService exchanges = new ThreadPoolExecutor(0, Integer.MAX_VALUE, IDLE_WORKER_SECONDS, TimeUnit.SECONDS,
                new SynchronousQueue<>(), Thread.ofPlatform().name("jinit-http-", 0).daemon(true).factory());
        ExecutorService blockingRequests = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(exchanges);
        Guard guard = new Guard(config.address().getAddress(), config.token(), !loopback, config.peers());
        server.createContext("/", new Routes(supervisor, system, guard, policy, new RefusalLog(console), blockingRequests));
        server.start();
        return new ApiServer(server, exchanges, blockingRequests);
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** Stops accepting, and waits up to {@code seconds} for exchanges in progress to finish. */
    public void stopGracefully(int seconds) {
        server.stop(seconds);
        exchanges.shutdownNow();
        blockingRequests.shutdownNow();
    }

    @Override
    public void close() {
        server.stop(0);
        exchanges.shutdownNow();
        blockingRequests.shutdownNow();
    }
}
