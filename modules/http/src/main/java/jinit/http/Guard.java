package jinit.http;

import com.sun.net.httpserver.HttpExchange;
import jinit.supervisor.Caller;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
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
        checkHost(exchange);
        if (exchange.getRequestHeaders().containsKey("Origin")) {
            // Only browsers send Origin, and no web page may drive init (CSRF). "null" comes from sandboxed
            // documents and files, so it is refused as well.
            throw HttpError.rule(403, "no browsers", "requests with an Origin header are refused");
        }
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization != null) {
            if (token != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                    && MessageDigest.isEqual(token, authorization.substring(7).strip().getBytes(StandardCharsets.US_ASCII))) {
                OptionalInt uid = remote ? OptionalInt.empty() : peerUid(exchange);
                return new Caller(uid.orElse(0), true);
            }
            throw HttpError.rule(401, "token", "the bearer token is wrong");
        }
        if (remote) throw HttpError.rule(401, "token", "the API is bound off loopback, so every request needs the token");
        OptionalInt uid = peerUid(exchange);
        if (uid.isEmpty()) throw HttpError.rule(401, "identity", "the caller's uid could not be found (did it close the connection?)");
        return uid.getAsInt() == 0 ? Caller.ROOT : new Caller(uid.getAsInt(), false);
    }

    /**
     * DNS rebinding: a page of evil.example whose name now points at 127.0.0.1 reaches us with "Host: evil.example".
     * The Host must therefore be exactly one of our names, read strictly: one header (RFC 9112 section 3.2), a name,
     * and at most a ":port" of digits. A looser reading lets "[::1]evil.example" or a second Host slip through
     * wherever another component (a proxy, a log) reads the header differently. A malformed or duplicate Host is a
     * 400, as the RFC says; a well-formed foreign one a 403. HTTP/1.0 may omit it, and browsers never do.
     */
    private void checkHost(HttpExchange exchange) throws HttpError {
        List<String> hosts = exchange.getRequestHeaders().get("Host");
        if (hosts == null || hosts.isEmpty()) {
            if (exchange.getProtocol().equalsIgnoreCase("HTTP/1.0")) return;
            throw HttpError.rule(400, "local Host only", "an HTTP/1.1 request needs a Host header");
        }
        if (hosts.size() > 1) throw HttpError.rule(400, "local Host only", "exactly one Host header, not " + hosts.size());
        String host = hosts.getFirst();
        String name = hostName(host);
        if (name == null) {
            throw HttpError.rule(400, "local Host only", "Host '" + host + "' is not a host name with an optional :port");
        }
        if (!allowedHosts.contains(name.toLowerCase(Locale.ROOT))) {
            throw HttpError.rule(403, "local Host only", "Host '" + host + "' is not this machine's loopback API");
        }
    }

    /**
     * The name in a Host value of the form NAME, NAME:PORT, [V6] or [V6]:PORT, with PORT 1 to 5 digits; null for
     * anything else. Surrounding spaces and tabs are not part of a header's value (RFC 9110 section 5.5).
     */
    static String hostName(String value) {
        int start = 0;
        int end = value.length();
        while (start < end && (value.charAt(start) == ' ' || value.charAt(start) == '\t')) start++;
        while (end > start && (value.charAt(end - 1) == ' ' || value.charAt(end - 1) == '\t')) end--;
        int nameEnd;
        if (value.startsWith("[", start)) {
            nameEnd = value.indexOf(']', start) + 1;
            if (nameEnd == 0 || nameEnd > end) return null;
        } else {
            int colon = value.indexOf(':', start);
            nameEnd = colon < 0 || colon > end ? end : colon;
        }
        if (nameEnd < end) {
            int digits = end - nameEnd - 1;
            if (value.charAt(nameEnd) != ':' || digits < 1 || digits > 5) return null;
            for (int i = nameEnd + 1; i < end; i++) {
                if (value.charAt(i) < '0' || value.charAt(i) > '9') return null;
            }
        }
        return value.substring(start, nameEnd);
    }

    private OptionalInt peerUid(HttpExchange exchange) {
        return peers.uidOf(exchange.getRemoteAddress(), exchange.getLocalAddress());
    }
}
