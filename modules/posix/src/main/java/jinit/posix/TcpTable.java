package jinit.posix;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * The uid behind a loopback TCP connection. TCP has no SO_PEERCRED, but the kernel lists every socket in
 * /proc/net/tcp and /proc/net/tcp6 with its owner's uid: the client's socket is the line whose local end
 * is our peer and whose remote end is us. Looked up afresh for every request: a port can be reused by
 * another user as soon as a connection closes, so nothing is cached.
 */
final class TcpTable {
    private static final Path TCP = Path.of("/proc/net/tcp");
    private static final Path TCP6 = Path.of("/proc/net/tcp6");

    private TcpTable() {}

    /** Empty when no such socket exists any more (the client closed first) or /proc is unreadable. */
    static OptionalInt uidOf(InetSocketAddress client, InetSocketAddress server) {
        return uidOf(client, server, TCP, TCP6);
    }

    /** As {@link #uidOf(InetSocketAddress, InetSocketAddress)}, reading these tables: tests pass synthetic ones. */
    static OptionalInt uidOf(InetSocketAddress client, InetSocketAddress server, Path tcp, Path tcp6) {
        InetAddress clientAddress = unmapped(client.getAddress());
        InetAddress serverAddress = unmapped(server.getAddress());
        // An IPv4 client of an IPv4 socket is in tcp; anything involving IPv6 (mapped addresses too) in tcp6.
        boolean ipv4 = clientAddress instanceof Inet4Address && serverAddress instanceof Inet4Address;
        OptionalInt uid = search(ipv4 ? tcp : tcp6, clientAddress, client.getPort(), serverAddress, server.getPort());
        if (uid.isPresent()) return uid;
        return search(ipv4 ? tcp6 : tcp, clientAddress, client.getPort(), serverAddress, server.getPort());
    }

    private static OptionalInt search(Path table, InetAddress localAddress, int localPort, InetAddress remoteAddress, int remotePort) {
        String localPortHex = String.format("%04X", localPort);
        String remotePortHex = String.format("%04X", remotePort);
        try (BufferedReader reader = Files.newBufferedReader(table)) {
            reader.readLine(); // header
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length < 8) continue;
                String local = fields[1];
                String remote = fields[2];
                // Cheap port test first: most lines fail it.
                if (!local.endsWith(localPortHex) || !remote.endsWith(remotePortHex)) continue;
                if (!local.endsWith(":" + localPortHex) || !remote.endsWith(":" + remotePortHex)) continue;
                if (localAddress.equals(address(local)) && remoteAddress.equals(address(remote))) {
                    // A socket its process has closed lingers, orphaned, until TCP is done with it (FIN_WAIT,
                    // TIME_WAIT), and the kernel lists it with inode 0 and uid 0. That 0 is nobody's uid: taking
                    // it would make root of any user who closes the connection right after sending a request.
                    if (fields.length < 10 || fields[9].equals("0")) return OptionalInt.empty();
                    return OptionalInt.of(Integer.parseInt(fields[7]));
                }
            }
        } catch (IOException | RuntimeException e) {
            // Unreadable or malformed: no identity, and the request is refused.
        }
        return OptionalInt.empty();
    }

    /**
     * Decodes "0100007F:1F90" (IPv4) or 32 hex digits (IPv6). The kernel prints each 32-bit word of the
     * address in host byte order, so each word's four bytes come out reversed on little-endian machines.
     */
    static InetAddress address(String endpoint) {
        String hex = endpoint.substring(0, endpoint.indexOf(':'));
        byte[] bytes = new byte[hex.length() / 2];
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int i = 0; i < 4; i++) {
                int at = word * 8 + (3 - i) * 2;
                bytes[word * 4 + i] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
            }
        }
        try {
            return unmapped(InetAddress.getByAddress(bytes));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(endpoint);
        }
    }

    /** ::ffff:a.b.c.d is an IPv4 peer on a dual-stack socket: compare it as IPv4. */
    static InetAddress unmapped(InetAddress address) {
        if (address instanceof Inet6Address) {
            byte[] b = address.getAddress();
            boolean mapped = true;
            for (int i = 0; i < 10; i++) mapped &= b[i] == 0;
            mapped &= b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            if (mapped) {
                try {
                    return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
                } catch (UnknownHostException e) {
                    return address;
                }
            }
        }
        return address;
    }
}
