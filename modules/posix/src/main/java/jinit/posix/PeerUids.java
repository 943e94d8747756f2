package jinit.posix;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.OptionalInt;

/**
 * Who is calling: the uid that owns the client end of a loopback TCP connection, which has no SO_PEERCRED. The
 * one home of caller identity. It asks the kernel through netlink sock_diag (microseconds), and reads
 * /proc/net/tcp and tcp6 ({@link TcpTable}, milliseconds on a large machine) only on a kernel without
 * INET_DIAG, such as a cloud kernel booted without its modules. Nothing is cached: a port can pass to another
 * user as soon as a connection closes.
 */
public final class PeerUids {
    /** Null when this kernel's sock_diag cannot see TCP sockets. */
    private final SocketOwners sockDiag;

    private PeerUids(SocketOwners sockDiag) {
        this.sockDiag = sockDiag;
    }

    /**
     * Tries sock_diag on a loopback connection made for the purpose. Without the inet_diag and tcp_diag modules
     * the kernel answers ENOENT, the same as for a connection that is gone, so only a known live connection
     * tells the two apart.
     */
    static PeerUids probe(SocketOwners sockDiag) {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket server = new ServerSocket(0, 1, loopback);
             Socket client = new Socket(loopback, server.getLocalPort());
             Socket accepted = server.accept()) {
            boolean seen = sockDiag.owner((InetSocketAddress) accepted.getRemoteSocketAddress(),
                    (InetSocketAddress) accepted.getLocalSocketAddress()).isPresent();
            return new PeerUids(seen ? sockDiag : null);
        } catch (IOException | PosixException e) {
            return new PeerUids(null);
        }
    }

    /** Whether lookups go through sock_diag rather than /proc/net/tcp. */
    public boolean viaSockDiag() {
        return sockDiag != null;
    }

    /**
     * The uid owning the client's socket of the connection that the server sees from {@code server} to
     * {@code client}; empty when that socket no longer exists (the client closed first).
     */
    public OptionalInt uidOf(InetSocketAddress client, InetSocketAddress server) {
        if (sockDiag != null) {
            try {
                return sockDiag.owner(client, server);
            } catch (PosixException e) {
                // A lookup the kernel failed to answer; /proc still knows.
            }
        }
        return TcpTable.uidOf(client, server);
    }
}
