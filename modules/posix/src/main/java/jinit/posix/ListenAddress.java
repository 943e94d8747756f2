package jinit.posix;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Where a pre-opened socket listens, parsed from its URI, and the C struct sockaddr that says so.
 *
 * <ul>
 *   <li>{@code tcp://HOST:PORT}: a TCP socket, bound and listening.
 *   <li>{@code udp://HOST:PORT}: a UDP socket, bound (datagram sockets do not listen).
 *   <li>{@code unix:/PATH}: a unix stream socket, bound and listening; PATH is absolute and at most 107 bytes.
 * </ul>
 * HOST is an IP address literal: IPv4 in dotted quads ({@code 127.0.0.1}, {@code 0.0.0.0} for every IPv4
 * address) or IPv6 in brackets ({@code [::1]}, {@code [::]}). Host names are refused: init starts before any
 * name service, and a name that resolves differently from boot to boot is no address to bind. PORT is 0 to
 * 65535; 0 lets the kernel pick a free port (getsockname(2) tells which).
 */
final class ListenAddress {
    /** How the socket is used. */
    enum Protocol { TCP, UDP, UNIX }

    // sockaddr_un: a 2-byte family, then 108 bytes of path that must hold the terminating NUL.
    static final int SUN_PATH_MAX = 107;
    private static final Pattern DOTTED_QUAD = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern PORT = Pattern.compile("\\d{1,5}");
    private static final String FORMS = "use tcp://HOST:PORT, udp://HOST:PORT or unix:/PATH";

    private final String uri;
    private final Protocol protocol;
    private final int family;
    private final byte[] sockaddr;
    private final String path;

    private ListenAddress(String uri, Protocol protocol, int family, byte[] sockaddr, String path) {
        this.uri = uri;
        this.protocol = protocol;
        this.family = family;
        this.sockaddr = sockaddr;
        this.path = path;
    }

    /**
     * Parses {@code uri}; an {@link IllegalArgumentException} names the uri and what is wrong, e.g.
     * {@code tcp://localhost:80: host names are not supported; use an IP address such as 127.0.0.1 or [::1]}.
     */
    static ListenAddress parse(String uri) {
        if (uri == null || uri.isEmpty()) {
            throw new IllegalArgumentException("empty listen address: " + FORMS);
        }
        if (uri.indexOf('\0') >= 0) {
            throw invalid(uri, "contains a NUL character");
        }
        if (uri.startsWith("unix:")) {
            return unix(uri, uri.substring("unix:".length()));
        } else if (uri.startsWith("tcp://")) {
            return inet(uri, Protocol.TCP, uri.substring("tcp://".length()));
        } else if (uri.startsWith("udp://")) {
            return inet(uri, Protocol.UDP, uri.substring("udp://".length()));
        }
        throw invalid(uri, "unknown kind of address; " + FORMS);
    }

    Protocol protocol() {
        return protocol;
    }

    /** The URI this was parsed from. */
    @Override
    public String toString() {
        return uri;
    }

    int family() {
        return family;
    }

    int socketType() {
        return protocol == Protocol.UDP ? SocketConstants.SOCK_DGRAM : SocketConstants.SOCK_STREAM;
    }

    /** The struct sockaddr_in, sockaddr_in6 or sockaddr_un, exactly as long as bind(2) needs. */
    byte[] sockaddr() {
        return sockaddr.clone();
    }

    /** The socket file of a unix address, else null. */
    String path() {
        return path;
    }

    private static ListenAddress unix(String uri, String path) {
        if (!path.startsWith("/")) {
            throw invalid(uri, "a unix socket needs an absolute path, e.g. unix:/run/app.sock");
        }
        byte[] encoded = path.getBytes(StandardCharsets.UTF_8);
        if (encoded.length > SUN_PATH_MAX) {
            throw invalid(uri, "the path is " + encoded.length + " bytes; a unix socket path holds at most "
                    + SUN_PATH_MAX);
        }
        // sa_family_t is native-endian; the path ends with a NUL, which bind's length includes.
        ByteBuffer b = ByteBuffer.allocate(2 + encoded.length + 1).order(ByteOrder.nativeOrder());
        b.putShort((short) SocketConstants.AF_UNIX).put(encoded).put((byte) 0);
        return new ListenAddress(uri, Protocol.UNIX, SocketConstants.AF_UNIX, b.array(), path);
    }

    private static ListenAddress inet(String uri, Protocol protocol, String hostPort) {
        String host;
        String port;
        boolean v6 = hostPort.startsWith("[");
        if (v6) {
            int close = hostPort.indexOf(']');
            if (close < 0) {
                throw invalid(uri, "an IPv6 address in brackets lacks its ']'");
            }
            host = hostPort.substring(1, close);
            String rest = hostPort.substring(close + 1);
            if (!rest.startsWith(":")) {
                throw invalid(uri, "the port is missing: add :PORT after the address");
            }
            port = rest.substring(1);
        } else {
            int colon = hostPort.lastIndexOf(':');
            if (colon < 0) {
                throw invalid(uri, "the port is missing: add :PORT after the address");
            }
            host = hostPort.substring(0, colon);
            port = hostPort.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw invalid(uri, "an IPv6 address goes in brackets, e.g. " + protocol.name().toLowerCase()
                        + "://[::1]:" + port);
            }
        }
        if (host.isEmpty()) {
            throw invalid(uri, "the address is missing; 0.0.0.0 means every IPv4 address, [::] every address");
        }
        if (!PORT.matcher(port).matches() || Integer.parseInt(port) > 65535) {
            throw invalid(uri, "the port must be a number from 0 to 65535 (0 picks a free one)");
        }
        int portNumber = Integer.parseInt(port);
        return v6 ? inet6(uri, protocol, host, portNumber) : inet4(uri, protocol, host, portNumber);
    }

    private static ListenAddress inet4(String uri, Protocol protocol, String host, int port) {
        byte[] address;
        try {
            if (!DOTTED_QUAD.matcher(host).matches()) {
                throw new IllegalArgumentException();
            }
            address = Inet4Address.ofLiteral(host).getAddress();
        } catch (IllegalArgumentException e) {
            throw invalid(uri, notALiteral(host));
        }
        // struct sockaddr_in: family (native), port and address (network byte order), 8 bytes of zero.
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        b.putShort((short) SocketConstants.AF_INET);
        b.order(ByteOrder.BIG_ENDIAN).putShort((short) port).put(address);
        return new ListenAddress(uri, protocol, SocketConstants.AF_INET, b.array(), null);
    }

    private static ListenAddress inet6(String uri, Protocol protocol, String host, int port) {
        byte[] address;
        int scopeId = 0;
        try {
            InetAddress parsed = Inet6Address.ofLiteral(host);
            if (parsed instanceof Inet6Address v6) {
                address = v6.getAddress();
                scopeId = v6.getScopeId();
            } else {
                // The JDK turns ::ffff:a.b.c.d into an Inet4Address; the socket is still an IPv6 one.
                address = new byte[16];
                address[10] = (byte) 0xff;
                address[11] = (byte) 0xff;
                System.arraycopy(parsed.getAddress(), 0, address, 12, 4);
            }
        } catch (IllegalArgumentException e) {
            throw invalid(uri, "[" + host + "] is not an IPv6 address");
        }
        // struct sockaddr_in6: family, port (network order), flowinfo, 16-byte address, scope id.
        ByteBuffer b = ByteBuffer.allocate(28).order(ByteOrder.nativeOrder());
        b.putShort((short) SocketConstants.AF_INET6);
        b.order(ByteOrder.BIG_ENDIAN).putShort((short) port).putInt(0).put(address);
        b.order(ByteOrder.nativeOrder()).putInt(scopeId);
        return new ListenAddress(uri, protocol, SocketConstants.AF_INET6, b.array(), null);
    }

    private static String notALiteral(String host) {
        boolean looksNumeric = host.chars().allMatch(c -> c == '.' || Character.isDigit(c));
        return looksNumeric
                ? host + " is not an IPv4 address"
                : "host names are not supported; use an IP address such as 127.0.0.1, 0.0.0.0 or [::1]";
    }

    private static IllegalArgumentException invalid(String uri, String problem) {
        return new IllegalArgumentException(uri + ": " + problem);
    }
}
