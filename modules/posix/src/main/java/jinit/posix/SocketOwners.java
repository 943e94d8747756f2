package jinit.posix;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.OptionalInt;

/**
 * The uid that owns a TCP socket, asked of the kernel through netlink's sock_diag: one exact lookup by the
 * socket's four-tuple, a few microseconds. Reading /proc/net/tcp instead walks the kernel's whole
 * connection hash table, whose size grows with the machine's memory: 5 ms a read on a 24 GB host.
 */
final class SocketOwners {
    private static final int NETLINK_SOCK_DIAG = 4;
    private static final short SOCK_DIAG_BY_FAMILY = 20;
    private static final short NLMSG_ERROR = 2;
    private static final short NLM_F_REQUEST = 1;
    private static final byte IPPROTO_TCP = 6;
    private static final int TCP_LISTEN = 10;
    private static final int NLMSGHDR = 16;
    /** nlmsghdr, then inet_diag_req_v2: family, protocol, ext, pad, states, and the 48-byte socket id. */
    private static final int REQUEST = NLMSGHDR + 8 + 48;
    /** In the answer, inet_diag_msg's idiag_uid follows family..retrans (4), the id (48), expires, rqueue, wqueue. */
    private static final int UID_OFFSET = NLMSGHDR + 4 + 48 + 12;

    /**
     * Idle sock_diag sockets kept for the next lookup: every API request makes one. The first lookup opens
     * them all, so that at rest there are always exactly this many, whatever the load was.
     */
    static final int KEPT_SOCKETS = 4;

    /** Guarded by itself: the check for room and the keeping must be one step, or the pool outgrows its size. */
    private final ArrayDeque<Integer> idleSockets = new ArrayDeque<>(KEPT_SOCKETS);
    private boolean filled;

    /**
     * The owner of the TCP socket whose local end is {@code local} and remote end {@code remote}; empty when
     * there is no such socket (it closed). Throws when the kernel cannot answer at all (no sock_diag, e.g. a
     * kernel built without INET_DIAG), so the caller can fall back to /proc.
     */
    OptionalInt owner(InetSocketAddress local, InetSocketAddress remote) throws PosixException {
        InetAddress localAddress = local.getAddress();
        InetAddress remoteAddress = remote.getAddress();
        boolean v4 = localAddress instanceof Inet4Address && remoteAddress instanceof Inet4Address;
        ByteBuffer request = ByteBuffer.allocate(REQUEST).order(ByteOrder.nativeOrder());
        request.putInt(REQUEST).putShort(SOCK_DIAG_BY_FAMILY).putShort(NLM_F_REQUEST).putInt(1).putInt(0);
        request.put((byte) (v4 ? SocketConstants.AF_INET : SocketConstants.AF_INET6)).put(IPPROTO_TCP).put((byte) 0).put((byte) 0);
        request.putInt(-1); // every TCP state
        request.order(ByteOrder.BIG_ENDIAN).putShort((short) local.getPort()).putShort((short) remote.getPort());
        request.put(addressBytes(localAddress, v4)).put(addressBytes(remoteAddress, v4));
        request.order(ByteOrder.nativeOrder()).putInt(0).putInt(-1).putInt(-1); // any interface, no cookie

        int fd = takeSocket();
        if (fd < 0) throw failure("socket", LibC.errno());
        // Kept only after a whole answer was read: a socket left mid-exchange could hand its stale answer on.
        boolean answered = false;
        try {
            byte[] kernel = new byte[12]; // sockaddr_nl: family, pad, pid 0 (the kernel), groups 0
            ByteBuffer.wrap(kernel).order(ByteOrder.nativeOrder()).putShort((short) SocketConstants.AF_NETLINK);
            if (LibC.sendto(fd, request.array(), REQUEST, 0, kernel) < 0) {
                throw failure("sendto", LibC.errno());
            }
            byte[] answer = new byte[1024];
            long length = LibC.recv(fd, answer, answer.length, 0);
            if (length < NLMSGHDR) throw failure("recv", length < 0 ? LibC.errno() : Errno.EIO);
            answered = true;
            ByteBuffer reply = ByteBuffer.wrap(answer, 0, (int) length).order(ByteOrder.nativeOrder());
            short type = reply.getShort(4);
            if (type == NLMSG_ERROR) {
                int errno = -reply.getInt(NLMSGHDR);
                if (errno == Errno.ENOENT) return OptionalInt.empty(); // no such socket: the client is gone
                throw failure("sock_diag", errno);
            }
            if (type != SOCK_DIAG_BY_FAMILY || length < UID_OFFSET + 4) throw failure("sock_diag", Errno.EIO);
            // The kernel looks the tuple up as it would an incoming packet, so a listener on the local port
            // matches too when the connection itself is gone: only the connection's own socket counts.
            int state = answer[NLMSGHDR + 1];
            int remotePort = ByteBuffer.wrap(answer).order(ByteOrder.BIG_ENDIAN).getShort(NLMSGHDR + 6) & 0xffff;
            if (state == TCP_LISTEN || remotePort != remote.getPort()) return OptionalInt.empty();
            // A socket no process holds any more (closed, or a TIME_WAIT remnant) reports inode 0 and uid 0:
            // that is no caller at all, and certainly not root.
            if (reply.getInt(UID_OFFSET + 4) == 0) return OptionalInt.empty();
            return OptionalInt.of(reply.getInt(UID_OFFSET));
        } finally {
            if (!answered || !keep(fd)) LibC.close(fd);
        }
    }

    /** A kept socket, or a new one; the first call fills the pool, so the socket it takes comes back to a full one. */
    private int takeSocket() {
        synchronized (idleSockets) {
            if (!filled) {
                filled = true;
                for (int i = 0; i < KEPT_SOCKETS; i++) {
                    int spare = LibC.socket(SocketConstants.AF_NETLINK, SocketConstants.SOCK_DGRAM | SocketConstants.SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
                    if (spare >= 0) idleSockets.addFirst(spare);
                }
            }
            Integer idle = idleSockets.pollFirst();
            if (idle != null) return idle;
        }
        return LibC.socket(SocketConstants.AF_NETLINK, SocketConstants.SOCK_DGRAM | SocketConstants.SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    }

    /** Keeps {@code fd} for the next lookup if there is room; false if the caller must close it. */
    private boolean keep(int fd) {
        synchronized (idleSockets) {
            if (idleSockets.size() >= KEPT_SOCKETS) return false;
            idleSockets.addFirst(fd);
            return true;
        }
    }

    /** 16 bytes, network order: IPv4 in the first four (as inet_diag wants for AF_INET), IPv6 whole. */
    private static byte[] addressBytes(InetAddress address, boolean v4) {
        byte[] bytes = new byte[16];
        byte[] raw = address.getAddress();
        if (v4 || address instanceof Inet6Address) {
            System.arraycopy(raw, 0, bytes, 0, raw.length);
        } else { // an IPv4 address on an IPv6 socket: ::ffff:a.b.c.d
            bytes[10] = (byte) 0xff;
            bytes[11] = (byte) 0xff;
            System.arraycopy(raw, 0, bytes, 12, 4);
        }
        return bytes;
    }

    private PosixException failure(String step, int errno) {
        return new PosixException(errno, Errno.message("sock_diag " + step, null, LibC.strerror(errno), errno));
    }
}
