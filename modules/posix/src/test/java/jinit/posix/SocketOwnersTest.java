package jinit.posix;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SocketOwnersTest {
    /** The test's own pool: the one init keeps belongs to {@link Posix#peerUids()}. */
    private static final SocketOwners OWNERS = new SocketOwners();

    @Test
    void findsTheUidOfTheClientEndOfALoopbackConnection() throws Exception {
        for (String host : new String[] {"127.0.0.1", "::1"}) {
            InetAddress address = InetAddress.getByName(host);
            try (ServerSocket server = new ServerSocket(0, 1, address);
                 Socket client = new Socket(address, server.getLocalPort());
                 Socket accepted = server.accept()) {
                // From the server's side: the client's socket has the peer as its local end.
                InetSocketAddress peer = (InetSocketAddress) accepted.getRemoteSocketAddress();
                InetSocketAddress us = (InetSocketAddress) accepted.getLocalSocketAddress();
                assertEquals(OptionalInt.of(0), OWNERS.owner(peer, us), host);
                assertEquals(client.getLocalPort(), peer.getPort());
            }
        }
    }

    @Test
    void aSocketThatIsGoneHasNoOwner() throws Exception {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        try (ServerSocket unused = new ServerSocket(0, 1, loopback)) {
            InetSocketAddress nobody = new InetSocketAddress(loopback, unused.getLocalPort());
            assertEquals(OptionalInt.empty(), OWNERS.owner(nobody, new InetSocketAddress(loopback, 1)));
        }
    }

    @Test
    void lookupsReuseAFewSocketsAndLeakNone() throws Exception {
        // Every API request makes a lookup; the netlink sockets are kept for the next, a few at most.
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        try (Connection connection = Connection.open(loopback)) {
            InetSocketAddress peer = connection.peer();
            InetSocketAddress us = connection.us();
            // Eight lookups at once: more sockets than are kept, each answer still the right one.
            List<Future<OptionalInt>> answers = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
                for (int i = 0; i < 400; i++) answers.add(pool.submit(() -> OWNERS.owner(peer, us)));
            }
            for (Future<OptionalInt> answer : answers) assertEquals(OptionalInt.of(0), answer.get());
            long fdsBefore = openFds();
            for (int i = 0; i < 200; i++) {
                assertEquals(OptionalInt.of(0), OWNERS.owner(peer, us));
                assertEquals(OptionalInt.empty(), OWNERS.owner(new InetSocketAddress(loopback, 1), us),
                        "an answer for a gone socket must not be handed to the next lookup");
            }
            assertEquals(fdsBefore, openFds(), "no socket leaked");
        }
    }

    /**
     * The pool is full from the first lookup on: a burst of lookups at once leaves no more sockets open than one lookup
     * did, so what init holds at rest does not depend on the load it has seen (a CI machine with more CPUs than this
     * one overlapped more lookups, and init held one socket more after its fuzzing than before).
     */
    @Test
    void aBurstOfLookupsLeavesAsManySocketsAsOneLookup() throws Exception {
        SocketOwners owners = new SocketOwners();
        try (Connection connection = Connection.open(InetAddress.getByName("127.0.0.1"))) {
            InetSocketAddress peer = connection.peer();
            InetSocketAddress us = connection.us();
            long fdsBeforeAny = openFds();
            assertEquals(OptionalInt.of(0), owners.owner(peer, us));
            long fdsAfterOne = openFds();
            assertEquals(fdsBeforeAny + SocketOwners.KEPT_SOCKETS, fdsAfterOne, "one lookup fills the pool");
            List<Future<OptionalInt>> answers = new ArrayList<>();
            try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
                for (int i = 0; i < 2000; i++) answers.add(pool.submit(() -> owners.owner(peer, us)));
            }
            for (Future<OptionalInt> answer : answers) assertEquals(OptionalInt.of(0), answer.get());
            assertEquals(fdsAfterOne, openFds(), "sockets open after a burst of lookups at once");
        }
    }

    /** A loopback connection, seen from its server's side: the client's socket has {@link #peer} as its local end. */
    private record Connection(ServerSocket server, Socket client, Socket accepted) implements AutoCloseable {
        static Connection open(InetAddress loopback) throws java.io.IOException {
            ServerSocket server = new ServerSocket(0, 1, loopback);
            Socket client = new Socket(loopback, server.getLocalPort());
            return new Connection(server, client, server.accept());
        }

        InetSocketAddress peer() {
            return (InetSocketAddress) accepted.getRemoteSocketAddress();
        }

        InetSocketAddress us() {
            return (InetSocketAddress) accepted.getLocalSocketAddress();
        }

        @Override
        public void close() throws java.io.IOException {
            try (server; client; accepted) {
                // all three closed, whatever each throws
            }
        }
    }

    private static long openFds() throws java.io.IOException {
        try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
