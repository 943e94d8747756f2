package jinit.http;

import java.net.InetSocketAddress;
import java.util.OptionalInt;

/** What the API needs to know of who is calling: the uid behind a loopback TCP connection, from the server's view. */
@FunctionalInterface
public interface PeerIdentity {
    /** Empty when the client's socket no longer exists (it closed first) or cannot be seen. */
    OptionalInt uidOf(InetSocketAddress client, InetSocketAddress server);
}
