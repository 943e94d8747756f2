package jinit.http;

import com.sun.net.httpserver.HttpExchange;
import jinit.supervisor.Caller;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Decides who a request comes from, before any route runs. A browser on this machine must never be able
 * to reach the API: a foreign Host (DNS rebinding) or any Origin is refused outright. Then the caller is
 * an admin by token, or the uid that owns the client socket.
 */
final class Guard {
    private final Set<String> allowedHosts;
    private final byte[] token;
    private final boolean remote;
    private final PeerIdentity peers;

    /**
     * @param bind   the address the API is bound to; also accepted as a Host
     * @param token  the per-boot token (any request that carries it is admin), or null for none
     * @param remote the API is bound off loopback: only the token then identifies anyone
     */
    Guard(InetAddress bind, String token, boolean remote, PeerIdentity peers) {
        this.peers = peers;
        String bound = bind.getHostAddress();
        if (bind instanceof java.net.Inet6Address) bound = "[" + bound.replaceAll("%.*", "") + "]";
        Set<String> hosts = new java.util.HashSet<>(Set.of("localhost", "127.0.0.1", "[::1]"));
        hosts.add(bound.toLowerCase(Locale.ROOT));
        this.allowedHosts = Set.copyOf(hosts);
        this.token = token == null ? null : token.getBytes(StandardCharsets.US_ASCII);
        this.remote = remote;
    }

    Caller admit(HttpExchange exchange) throws HttpError {
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (host != null && !allowedHosts.contains(hostWithoutPort(host.strip().toLowerCase(Locale.ROOT)))) {
            throw new HttpError(403, "rule 'local Host only': Host '" + host + "' is not this machine's loopback API");
        }
        if (exchange.getRequestHeaders().containsKey("Origin")) {
            // Only browsers send Origin, and no web page may drive init (CSRF). "null" comes from sandboxed
            // documents and files, so it is refused as well.
            throw new HttpError(403, "rule 'no browsers': requests with an Origin header are refused");
        }
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization != null) {
            if (token != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                    && MessageDigest.isEqual(token, authorization.substring(7).strip().getBytes(StandardCharsets.US_ASCII))) {
                OptionalInt uid = remote ? OptionalInt.empty() : peerUid(exchange);
                return new Caller(uid.orElse(0), true);
            }
            throw new HttpError(401, "rule 'token': the bearer token is wrong");
        }
        if (remote) throw new HttpError(401, "rule 'token': the API is bound off loopback, so every request needs the token");
        OptionalInt uid = peerUid(exchange);
        if (uid.isEmpty()) throw new HttpError(401, "rule 'identity': the caller's uid could not be found (did it close the connection?)");
        return uid.getAsInt() == 0 ? Caller.ROOT : new Caller(uid.getAsInt(), false);
    }

    private OptionalInt peerUid(HttpExchange exchange) {
        return peers.uidOf(exchange.getRemoteAddress(), exchange.getLocalAddress());
    }

    private static String hostWithoutPort(String host) {
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            return close < 0 ? host : host.substring(0, close + 1);
        }
        int colon = host.indexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }
}
