package jinit.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListenTest {
    private static final Posix POSIX = Children.POSIX;
    private static final int O_CLOEXEC_OCTAL_IN_FDINFO = 02000000;

    private static long openFdCount() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static void assertConnects(InetAddress address, int port) throws IOException {
        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress(address, port), 5_000);
            assertTrue(client.isConnected());
        }
    }

    @Test
    void tcpOnIpv4LoopbackAcceptsConnections() throws Exception {
        int fd = POSIX.listenAs("tcp://127.0.0.1:0", 0, 0);
        try {
            int port = Fds.localPort(fd);
            assertNotEquals(0, port);
            // Nobody accepts: the kernel completes the handshake into the backlog all the same.
            assertConnects(InetAddress.getByName("127.0.0.1"), port);
            assertTrue((ProcFs.fdFlags(POSIX.getpid(), fd) & O_CLOEXEC_OCTAL_IN_FDINFO) != 0, "close-on-exec");
        } finally {
            POSIX.close(fd);
        }
    }

    @Test
    void tcpOnIpv6LoopbackAcceptsConnections() throws Exception {
        int fd = POSIX.listenAs("tcp://[::1]:0", 0, 0);
        try {
            assertConnects(InetAddress.getByName("::1"), Fds.localPort(fd));
        } finally {
            POSIX.close(fd);
        }
    }

    @Test
    void udpIsBoundAndReceivesADatagram() throws Exception {
        int fd = POSIX.listenAs("udp://127.0.0.1:0", 0, 0);
        int port = Fds.localPort(fd);
        byte[] ping = "ping".getBytes(StandardCharsets.US_ASCII);
        try (DatagramSocket sender = new DatagramSocket();
                OutputPump pump = OutputPump.start(POSIX)) {
            // The pump reads any fd epoll accepts; for a datagram socket each read is one datagram.
            OutputPumpTest.Recorder received = new OutputPumpTest.Recorder();
            pump.watch(fd, received);
            sender.send(new DatagramPacket(ping, ping.length, InetAddress.getByName("127.0.0.1"), port));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (received.bytes.size() < ping.length && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals("ping", received.bytes.toString(StandardCharsets.US_ASCII));
        } // closing the pump closes fd
    }

    @Test
    void unixSocketIsConnectableByAnyone(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("app.sock");
        int fd = POSIX.listenAs("unix:" + path, 0, 0);
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            assertTrue(client.isConnected());
            assertEquals("rw-rw-rw-", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
        } finally {
            POSIX.close(fd);
        }
        // The socket file outlives the socket; the next listen replaces it.
        assertTrue(Files.exists(path));
        int again = POSIX.listenAs("unix:" + path, 0, 0);
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            assertTrue(client.isConnected());
        } finally {
            POSIX.close(again);
        }
    }

    @Test
    void aFileThatIsNotASocketIsLeftAlone(@TempDir Path dir) throws Exception {
        Path path = Files.writeString(dir.resolve("data"), "keep me");
        PosixException e = assertThrows(PosixException.class, () -> POSIX.listenAs("unix:" + path, 0, 0));
        assertEquals("listen unix:" + path + ": File exists and is not a socket, so it was left alone (EEXIST)",
                e.getMessage());
        assertEquals("keep me", Files.readString(path));
    }

    @Test
    void aPortInUseIsNamedWithItsErrno() throws Exception {
        int fd = POSIX.listenAs("tcp://127.0.0.1:0", 0, 0);
        String uri = "tcp://127.0.0.1:" + Fds.localPort(fd);
        long fdsBefore = openFdCount();
        try {
            PosixException e = assertThrows(PosixException.class, () -> POSIX.listenAs(uri, 0, 0));
            assertEquals("listen " + uri + ": Address already in use (EADDRINUSE)", e.getMessage());
            assertEquals(Errno.EADDRINUSE, e.errno());
            assertEquals(fdsBefore, openFdCount(), "the failed socket is closed");
        } finally {
            POSIX.close(fd);
        }
    }

    @Test
    void aMalformedUriIsEinval() {
        PosixException e = assertThrows(PosixException.class, () -> POSIX.listenAs("tcp://localhost:80", 0, 0));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("listen tcp://localhost:80: host names are not supported; use an IP address such as "
                + "127.0.0.1, 0.0.0.0 or [::1] (EINVAL)", e.getMessage());
    }
}
