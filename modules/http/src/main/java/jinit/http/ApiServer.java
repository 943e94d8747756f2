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
            // Open connections at most; more are closed at accept. Far above any boot script's needs, far below
            // init's open-file limit (65,536, which init sets as PID 1).
            // How they are shared out between users: ConnectionShares.
            "jdk.httpserver.maxConnections", "2048",
            // Idle keep-alive connections at most, everyone's together; one that would be more is closed after its
            // answer. jdk.httpserver's default is 200; this pool is part of what non-admins' requests never get.
            "sun.net.httpserver.maxIdleConnections", "128",
            // Seconds a client may take to send a whole request: slowloris connections are cut after this. Connections
            // that send nothing at all are cut after it too (jdk.httpserver uses min(idleInterval, maxReqTime)): until
            // a request names its caller nobody can be charged for a connection, so this is how long anyone's silent
            // connections can keep the accept limit reached. A request of at most 80 KiB needs no more on loopback.
            "sun.net.httpserver.maxReqTime", "5",
            // Seconds an idle keep-alive connection stays open.
            "sun.net.httpserver.idleInterval", "30",
            // How often, in ms, idle and silent connections are looked for: at the default, 10 s, a silent connection
            // could live up to 15 s instead of 6.
            "sun.net.httpserver.clockTick", "1000",
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
        // From the limits jdk.httpserver really runs with, read as its ServerConfig reads them (a value that is no
        // number means its default: no limit, 200 idle): a -D on the command line moves the shares with it.
        ConnectionShares shares = new ConnectionShares(ConnectionShares.Limits.of(
                Integer.getInteger("jdk.httpserver.maxConnections", -1), Integer.getInteger("sun.net.httpserver.maxIdleConnections", 200)));
        server.createContext("/", new Routes(supervisor, system, guard, shares, policy, new RefusalLog(console)));
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
