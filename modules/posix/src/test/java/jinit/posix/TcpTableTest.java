package jinit.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TcpTable against synthetic /proc/net/tcp and /proc/net/tcp6 tables, laid out as the kernel prints them.
 * The server listens on 127.0.0.1:8080 (1F90) and the client is 127.0.0.1:40000 (9C40) unless said otherwise.
 */
class TcpTableTest {
    private static final String TCP_HEADER =
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    private static final String TCP6_HEADER = "  sl  local_address                         remote_address"
            + "                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    private static final String V4_LOOPBACK = "0100007F";
    private static final String V6_MAPPED_LOOPBACK = "0000000000000000FFFF00000100007F";
    private static final String V6_LOOPBACK = "00000000000000000000000001000000";

    @TempDir
    Path dir;

    /** One table line: local and remote "ADDRESS:PORT", state, uid, inode. */
    private static String line(int slot, String local, String remote, String state, int uid, long inode) {
        return String.format("%4d: %s %s %s 00000000:00000000 00:00000000 00000000 %5d        0 %d 1 0000000000000000 20 4 30 10 -1%n",
                slot, local, remote, state, uid, inode);
    }

    private OptionalInt uid(String tcp, String tcp6, InetSocketAddress client, InetSocketAddress server) throws IOException {
        Path tcpFile = Files.writeString(dir.resolve("tcp"), TCP_HEADER + tcp);
        Path tcp6File = Files.writeString(dir.resolve("tcp6"), TCP6_HEADER + tcp6);
        return TcpTable.uidOf(client, server, tcpFile, tcp6File);
    }

    private static InetSocketAddress at(String address, int port) throws IOException {
        return new InetSocketAddress(InetAddress.getByName(address), port);
    }

    @Test
    void anIpv4ClientIsTheLineWhoseLocalEndIsTheClient() throws Exception {
        String tcp = line(0, V4_LOOPBACK + ":1F90", "00000000:0000", "0A", 0, 1001) // the listener
                + line(1, V4_LOOPBACK + ":1F90", V4_LOOPBACK + ":9C40", "01", 0, 1002) // the server's end: root
                + line(2, V4_LOOPBACK + ":9C40", V4_LOOPBACK + ":1F90", "01", 1000, 1003); // the client's end
        assertEquals(OptionalInt.of(1000), uid(tcp, "", at("127.0.0.1", 40000), at("127.0.0.1", 8080)));
    }

    @Test
    void aDualStackClientIsFoundInTcp6AsAnIpv4MappedAddress() throws Exception {
        // A Java client's socket is an IPv6 one: the kernel lists it in tcp6 as ::ffff:127.0.0.1.
        String tcp6 = line(0, V6_MAPPED_LOOPBACK + ":1F90", V6_MAPPED_LOOPBACK + ":9C40", "01", 0, 2001)
                + line(1, V6_MAPPED_LOOPBACK + ":9C40", V6_MAPPED_LOOPBACK + ":1F90", "01", 65534, 2002);
        assertEquals(OptionalInt.of(65534), uid("", tcp6, at("127.0.0.1", 40000), at("127.0.0.1", 8080)));
        // The server may see either form of the same address.
        assertEquals(OptionalInt.of(65534), uid("", tcp6, at("::ffff:127.0.0.1", 40000), at("::ffff:127.0.0.1", 8080)));
    }

    @Test
    void anIpv4ClientOfADualStackServerIsFoundInTcp() throws Exception {
        // curl's IPv4 socket is in tcp, the server's dual-stack end in tcp6.
        String tcp = line(0, V4_LOOPBACK + ":9C40", V4_LOOPBACK + ":1F90", "01", 1000, 3001);
        String tcp6 = line(0, V6_MAPPED_LOOPBACK + ":1F90", V6_MAPPED_LOOPBACK + ":9C40", "01", 0, 3002);
        assertEquals(OptionalInt.of(1000), uid(tcp, tcp6, at("::ffff:127.0.0.1", 40000), at("::ffff:127.0.0.1", 8080)));
    }

    @Test
    void anIpv6LoopbackClient() throws Exception {
        String tcp6 = line(0, V6_LOOPBACK + ":9C40", V6_LOOPBACK + ":1F90", "01", 1234, 4001);
        assertEquals(OptionalInt.of(1234), uid("", tcp6, at("::1", 40000), at("::1", 8080)));
    }

    @Test
    void noSuchSocketIsNoIdentity() throws Exception {
        String tcp = line(0, V4_LOOPBACK + ":9C41", V4_LOOPBACK + ":1F90", "01", 1000, 5001) // another client port
                + line(1, V4_LOOPBACK + ":1F90", V4_LOOPBACK + ":9C40", "01", 0, 5002); // only the server's end
        assertEquals(OptionalInt.empty(), uid(tcp, "", at("127.0.0.1", 40000), at("127.0.0.1", 8080)));
    }

    @Test
    void portsAreMatchedWholeNotByTheirLastDigits() throws Exception {
        // 0x0F90 = 3984 and 0x1F90 = 8080 share their last three hex digits; 0x9C40 ends like 0x19C40 would.
        String tcp = line(0, V4_LOOPBACK + ":9C40", V4_LOOPBACK + ":0F90", "01", 1000, 6001);
        assertEquals(OptionalInt.empty(), uid(tcp, "", at("127.0.0.1", 40000), at("127.0.0.1", 8080)));
    }

    @Test
    void theSamePortsOnAnotherAddressAreNotTheClient() throws Exception {
        String tcp = line(0, "0200007F:9C40", V4_LOOPBACK + ":1F90", "01", 1000, 7001); // 127.0.0.2
        assertEquals(OptionalInt.empty(), uid(tcp, "", at("127.0.0.1", 40000), at("127.0.0.1", 8080)));
    }

    @Test
    void aClosedClientSocketIsNoIdentityThoughTheKernelSaysUidZero() throws Exception {
        // After close() the client's end lingers in FIN_WAIT2 (05) or TIME_WAIT (06), orphaned: inode 0, uid 0.
        String finWait = line(0, V4_LOOPBACK + ":9C40", V4_LOOPBACK + ":1F90", "05", 0, 0);
        assertEquals(OptionalInt.empty(), uid(finWait, "", at("127.0.0.1", 40000), at("127.0.0.1", 8080)));
        String timeWait = line(0, V6_MAPPED_LOOPBACK + ":9C40", V6_MAPPED_LOOPBACK + ":1F90", "06", 0, 0);
        assertEquals(OptionalInt.empty(), uid("", timeWait, at("127.0.0.1", 40000), at("127.0.0.1", 8080)));
    }

    @Test
    void aHalfClosedClientThatStillHoldsItsSocketKeepsItsUid() throws Exception {
        // shutdown(SHUT_WR) without close(): FIN_WAIT2, but the socket still has its inode and owner.
        String tcp = line(0, V4_LOOPBACK + ":9C40", V4_LOOPBACK + ":1F90", "05", 1000, 8001);
        assertEquals(OptionalInt.of(1000), uid(tcp, "", at("127.0.0.1", 40000), at("127.0.0.1", 8080)));
    }

    @Test
    void malformedLinesAreSkipped() throws Exception {
        // A line with the client's ports but an address that is not hex: no identity, so the request is refused.
        String tcp = "   0: garbage\n"
                + "   1: " + V4_LOOPBACK + ":9C40 " + V4_LOOPBACK + ":1F90 01 00000000:00000000\n" // too few fields
                + "   2: ZZZZZZZZ:9C40 " + V4_LOOPBACK + ":1F90 01 00000000:00000000 00:00000000 00000000 1000 0 9001 1\n";
        assertEquals(OptionalInt.empty(), uid(tcp, "", at("127.0.0.1", 40000), at("127.0.0.1", 8080)));
        // A line too short to be read is skipped, and the search goes on.
        String good = line(3, V4_LOOPBACK + ":9C40", V4_LOOPBACK + ":1F90", "01", 1000, 9002);
        assertEquals(OptionalInt.of(1000), uid("   0: garbage\n" + good, "", at("127.0.0.1", 40000), at("127.0.0.1", 8080)));
    }

    @Test
    void missingTablesAreNoIdentity() throws Exception {
        assertEquals(OptionalInt.empty(), TcpTable.uidOf(at("127.0.0.1", 40000), at("127.0.0.1", 8080),
                dir.resolve("no-tcp"), dir.resolve("no-tcp6")));
    }

    @Test
    void addressesDecodeFromTheKernelsWordOrder() throws Exception {
        assertEquals(InetAddress.getByName("127.0.0.1"), TcpTable.address(V4_LOOPBACK + ":1F90"));
        assertEquals(InetAddress.getByName("::1"), TcpTable.address(V6_LOOPBACK + ":1F90"));
        assertEquals(InetAddress.getByName("127.0.0.1"), TcpTable.address(V6_MAPPED_LOOPBACK + ":1F90"));
        assertEquals(InetAddress.getByName("fe80::1"), TcpTable.address("000080FE000000000000000001000000:0016"));
    }
}
