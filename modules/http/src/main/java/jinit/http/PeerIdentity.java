package jinit.http;

import java.net.InetSocketAddress;
import java.util.OptionalInt;

/** Finds the uid behind a loopback TCP connection, from the server's view of it. */
@FunctionalInterface
public interface PeerIdentity {
    /** Empty when the client's socket no longer exists (it closed first) or cannot be seen. */
    OptionalInt uidOf(InetSocketAddress client, InetSocketAddress server);

    /** By /proc/net/tcp and /proc/net/tcp6: works everywhere, but walks the kernel's whole connection table. */
    static PeerIdentity procNet() {
        return PeerUids::uidOf;
    }
}
