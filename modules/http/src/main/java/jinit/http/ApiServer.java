package jinit.http;

import com.sun.net.httpserver.HttpServer;
import jinit.supervisor.Supervisor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The HTTP endpoint: one context, one virtual thread per exchange. */
public final class ApiServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;

    private ApiServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Binds and starts serving. Set {@code sun.net.httpserver.nodelay=true} before this (the image bakes it
     * in): without it every keep-alive answer waits 44 ms for Nagle and delayed ACK.
     */
    public static ApiServer start(InetSocketAddress address, Supervisor supervisor, SystemControl system) throws IOException {
        HttpServer server = HttpServer.create(address, 128);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/", new Routes(supervisor, system));
        server.start();
        return new ApiServer(server, executor);
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
