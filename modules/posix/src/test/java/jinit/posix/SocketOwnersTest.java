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
        try (ServerSocket server = new ServerSocket(0, 1, loopback);
             Socket client = new Socket(loopback, server.getLocalPort());
             Socket accepted = server.accept()) {
            InetSocketAddress peer = (InetSocketAddress) accepted.getRemoteSocketAddress();
            InetSocketAddress us = (InetSocketAddress) accepted.getLocalSocketAddress();
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

    private static long openFds() throws java.io.IOException {
        try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
