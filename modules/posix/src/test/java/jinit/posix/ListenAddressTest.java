package jinit.posix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.Inet6Address;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ListenAddressTest {
    /** The 2-byte family as the kernel reads it: native byte order (little-endian on x86_64 and aarch64). */
    private static byte[] family(int af) {
        return ByteBuffer.allocate(2).order(ByteOrder.nativeOrder()).putShort((short) af).array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuffer b = ByteBuffer.allocate(Arrays.stream(parts).mapToInt(p -> p.length).sum());
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    @Test
    void tcpOnIpv4IsASockaddrIn() {
        ListenAddress a = ListenAddress.parse("tcp://127.0.0.1:80");
        assertEquals(ListenAddress.Protocol.TCP, a.protocol());
        assertEquals("tcp://127.0.0.1:80", a.toString());
        assertEquals(SocketConstants.AF_INET, a.family());
        assertEquals(SocketConstants.SOCK_STREAM, a.socketType());
        assertArrayEquals(concat(family(2), new byte[] {0, 80, 127, 0, 0, 1}, new byte[8]), a.sockaddr());
        assertNull(a.path());
    }

    @Test
    void udpOnIpv6IsASockaddrIn6() {
        ListenAddress a = ListenAddress.parse("udp://[::1]:443");
        assertEquals(ListenAddress.Protocol.UDP, a.protocol());
        assertEquals(SocketConstants.SOCK_DGRAM, a.socketType());
        byte[] loopback = new byte[16];
        loopback[15] = 1;
        // port 443 = 0x01bb in network order, flowinfo 0, address, scope id 0
        assertArrayEquals(concat(family(10), new byte[] {1, (byte) 0xbb, 0, 0, 0, 0}, loopback, new byte[4]),
                a.sockaddr());
    }

    @Test
    void theIpv4MappedFormStaysAnIpv6Address() {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = 10;
        mapped[15] = 7;
        assertArrayEquals(concat(family(10), new byte[] {0, 1, 0, 0, 0, 0}, mapped, new byte[4]),
                ListenAddress.parse("tcp://[::ffff:10.0.0.7]:1").sockaddr());
    }

    @Test
    void unixIsASockaddrUnWithItsNul() {
        ListenAddress a = ListenAddress.parse("unix:/run/a.sock");
        assertEquals(ListenAddress.Protocol.UNIX, a.protocol());
        assertEquals(SocketConstants.SOCK_STREAM, a.socketType());
        assertEquals("/run/a.sock", a.path());
        assertArrayEquals(concat(family(1), "/run/a.sock".getBytes(), new byte[1]), a.sockaddr());
        String longest = "/" + "x".repeat(ListenAddress.SUN_PATH_MAX - 1);
        assertEquals(2 + ListenAddress.SUN_PATH_MAX + 1, ListenAddress.parse("unix:" + longest).sockaddr().length);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "tcp://localhost:80 | tcp://localhost:80: host names are not supported; use an IP address such as 127.0.0.1, 0.0.0.0 or [::1]",
        "udp://example.org:53 | udp://example.org:53: host names are not supported; use an IP address such as 127.0.0.1, 0.0.0.0 or [::1]",
        "tcp://127.0.0.256:80 | tcp://127.0.0.256:80: 127.0.0.256 is not an IPv4 address",
        "tcp://127.1:80 | tcp://127.1:80: 127.1 is not an IPv4 address",
        "tcp://::1:80 | tcp://::1:80: an IPv6 address goes in brackets, e.g. tcp://[::1]:80",
        "tcp://[::1 | tcp://[::1: an IPv6 address in brackets lacks its ']'",
        "tcp://[::g]:80 | tcp://[::g]:80: [::g] is not an IPv6 address",
        "tcp://[::1]80 | tcp://[::1]80: the port is missing: add :PORT after the address",
        "tcp://127.0.0.1 | tcp://127.0.0.1: the port is missing: add :PORT after the address",
        "tcp://:80 | tcp://:80: the address is missing; 0.0.0.0 means every IPv4 address, [::] every address",
        "tcp://0.0.0.0:65536 | tcp://0.0.0.0:65536: the port must be a number from 0 to 65535 (0 picks a free one)",
        "tcp://0.0.0.0:-1 | tcp://0.0.0.0:-1: the port must be a number from 0 to 65535 (0 picks a free one)",
        "tcp://0.0.0.0:http | tcp://0.0.0.0:http: the port must be a number from 0 to 65535 (0 picks a free one)",
        "unix:run/a.sock | unix:run/a.sock: a unix socket needs an absolute path, e.g. unix:/run/app.sock",
        "http://0.0.0.0:80 | http://0.0.0.0:80: unknown kind of address; use tcp://HOST:PORT, udp://HOST:PORT or unix:/PATH",
    })
    void malformedAddressesSayWhatIsWrong(String uri, String message) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, () -> ListenAddress.parse(uri)).getMessage());
    }

    @Test
    void tooLongAUnixPathIsRefused() {
        String path = "/" + "x".repeat(ListenAddress.SUN_PATH_MAX);
        assertEquals("unix:" + path + ": the path is 108 bytes; a unix socket path holds at most 107",
                assertThrows(IllegalArgumentException.class, () -> ListenAddress.parse("unix:" + path)).getMessage());
        assertEquals("empty listen address: use tcp://HOST:PORT, udp://HOST:PORT or unix:/PATH",
                assertThrows(IllegalArgumentException.class, () -> ListenAddress.parse("")).getMessage());
    }

    @Property
    void everyIpv4AddressAndPortLandsInNetworkOrder(@ForAll @Size(4) byte[] address,
            @ForAll @IntRange(min = 0, max = 65535) int port) {
        String host = (address[0] & 0xff) + "." + (address[1] & 0xff) + "." + (address[2] & 0xff) + "." + (address[3] & 0xff);
        byte[] sockaddr = ListenAddress.parse("udp://" + host + ":" + port).sockaddr();
        assertEquals(16, sockaddr.length);
        assertEquals(port, (sockaddr[2] & 0xff) << 8 | sockaddr[3] & 0xff);
        assertArrayEquals(address, Arrays.copyOfRange(sockaddr, 4, 8));
    }

    @Property
    void everyIpv6AddressInItsShortestFormRoundTrips(@ForAll @Size(16) byte[] address,
            @ForAll @IntRange(min = 0, max = 65535) int port) throws UnknownHostException {
        String host = Inet6Address.getByAddress(null, address, null).getHostAddress();
        byte[] sockaddr = ListenAddress.parse("tcp://[" + host + "]:" + port).sockaddr();
        assertEquals(28, sockaddr.length);
        assertEquals(port, (sockaddr[2] & 0xff) << 8 | sockaddr[3] & 0xff);
        assertArrayEquals(address, Arrays.copyOfRange(sockaddr, 8, 24));
    }
}
