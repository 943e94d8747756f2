package jinit.posix;

import com.kenai.jffi.MemoryIO;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * init's end of systemd's notify protocol (sd_notify(3)): one AF_UNIX datagram socket in the abstract namespace,
 * which any process may send to, read by one platform thread blocked in recvmsg. Who sent each datagram is what the
 * kernel says (SO_PASSCRED), never what the datagram says. What a sender cannot make init do:
 * <ul>
 *   <li>hold more than the socket's kernel queue: init reads one datagram at a time into fixed buffers, and a
 *       flooding sender only fills the queue (its sends then block or fail);</li>
 *   <li>hand init a descriptor: any that come with a datagram (SCM_RIGHTS) are closed at once, and those that do
 *       not fit the control buffer the kernel itself releases;</li>
 *   <li>be heard with more than {@link #MAX_DATAGRAM} bytes: a longer datagram is dropped whole, as systemd does.</li>
 * </ul>
 * The name carries a random part, so no other user can bind it first and hear what jobs send.
 */
public final class NotifySocket {
    /** systemd's own limit (NOTIFY_BUFFER_MAX): PIPE_BUF, far more than READY=1 and a status line need. */
    public static final int MAX_DATAGRAM = 4096;

    /** Who sent a datagram, and what. */
    public interface Receiver {
        /**
         * @param pid   the sender, as the kernel reports it
         * @param uid   its uid, likewise
         * @param group its process group when the datagram was read, or {@code pid} if it was already gone
         */
        void datagram(int pid, int uid, int group, String message);
    }

    private static final MemoryIO MEMORY = LibC.memory();
    private static final int SOL_SOCKET = 1;
    private static final int SO_PASSCRED = 16;
    private static final int SCM_RIGHTS = 1;
    private static final int SCM_CREDENTIALS = 2;
    private static final int MSG_TRUNC = 0x20;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    /** struct msghdr on LP64: name, namelen, iov, iovlen, control, controllen, flags. */
    private static final int MSGHDR_SIZE = 56;
    private static final int CMSG_HEADER = 16;
    /** Credentials (32 bytes with their header) and room for SCM_MAX_FD (253) descriptors, so each is seen and closed. */
    private static final int CONTROL_SIZE = 32 + CMSG_HEADER + 253 * Integer.BYTES + 4;

    private final Posix posix;
    private final int fd;
    private final String name;

    private NotifySocket(Posix posix, int fd, String name) {
        this.posix = posix;
        this.fd = fd;
        this.name = name;
    }

    /** What a job's NOTIFY_SOCKET says: '@' for the abstract namespace, then the name. */
    public String address() {
        return "@" + name;
    }

    /**
     * Binds the socket and starts the thread that reads it.
     *
     * @param complaints where a failing recvmsg is reported (init's console)
     */
    public static NotifySocket open(Posix posix, Receiver receiver, Consumer<String> complaints) throws PosixException {
        String name = "jinit/notify/" + posix.getpid() + "-" + HexFormat.of().formatHex(posix.getrandom(8));
        int fd = LibC.socket(SocketConstants.AF_UNIX, SocketConstants.SOCK_DGRAM | SocketConstants.SOCK_CLOEXEC, 0);
        if (fd < 0) throw posix.failure("socket", "AF_UNIX", LibC.errno());
        try {
            byte[] encoded = name.getBytes(StandardCharsets.US_ASCII);
            byte[] address = new byte[2 + 1 + encoded.length]; // sun_family, then a NUL: the abstract namespace
            address[0] = (byte) SocketConstants.AF_UNIX;
            System.arraycopy(encoded, 0, address, 3, encoded.length);
            if (LibC.bind(fd, address) != 0) throw posix.failure("bind", "@" + name, LibC.errno());
            if (LibC.setsockopt(fd, SOL_SOCKET, SO_PASSCRED, 1) != 0) throw posix.failure("setsockopt", "SO_PASSCRED", LibC.errno());
        } catch (PosixException e) {
            LibC.close(fd);
            throw e;
        }
        NotifySocket socket = new NotifySocket(posix, fd, name);
        Thread.ofPlatform().name("jinit-notify").daemon(true).start(() -> socket.receive(receiver, complaints));
        return socket;
    }

    private void receive(Receiver receiver, Consumer<String> complaints) {
        long data = LibC.allocate(MAX_DATAGRAM, false);
        long control = LibC.allocate(CONTROL_SIZE, false);
        long iov = LibC.allocate(16, false);
        long msghdr = LibC.allocate(MSGHDR_SIZE, true);
        MEMORY.putLong(iov, data);
        MEMORY.putLong(iov + 8, MAX_DATAGRAM);
        byte[] bytes = new byte[MAX_DATAGRAM];
        int lastErrno = 0;
        while (true) {
            MEMORY.putLong(msghdr + 16, iov);
            MEMORY.putLong(msghdr + 24, 1);
            MEMORY.putLong(msghdr + 32, control);
            MEMORY.putLong(msghdr + 40, CONTROL_SIZE);
            MEMORY.putInt(msghdr + 48, 0);
            long length = LibC.recvmsg(fd, msghdr, MSG_CMSG_CLOEXEC);
            if (length < 0) {
                int errno = LibC.errno();
                // Said once per kind of failure, not once per datagram.
                if (errno != Errno.EINTR && errno != lastErrno) {
                    complaints.accept("notify socket: " + posix.failure("recvmsg", "@" + name, errno).getMessage());
                }
                lastErrno = errno;
                // Not a busy loop if the error persists: the notify protocol can wait, the board's CPU cannot.
                if (errno != Errno.EINTR) LockSupport.parkNanos(100_000_000L);
                continue;
            }
            int flags = MEMORY.getInt(msghdr + 48);
            long controlLength = MEMORY.getLong(msghdr + 40);
            int pid = 0, uid = -1;
            // Every header: credentials are read, descriptors closed, anything else skipped.
            for (long at = 0; at + CMSG_HEADER <= controlLength; ) {
                long cmsgLength = MEMORY.getLong(control + at);
                if (cmsgLength < CMSG_HEADER || at + cmsgLength > controlLength) break;
                int level = MEMORY.getInt(control + at + 8);
                int type = MEMORY.getInt(control + at + 12);
                if (level == SOL_SOCKET && type == SCM_RIGHTS) {
                    for (long i = CMSG_HEADER; i + Integer.BYTES <= cmsgLength; i += Integer.BYTES) {
                        LibC.close(MEMORY.getInt(control + at + i));
                    }
                } else if (level == SOL_SOCKET && type == SCM_CREDENTIALS && cmsgLength >= CMSG_HEADER + 12) {
                    pid = MEMORY.getInt(control + at + CMSG_HEADER);
                    uid = MEMORY.getInt(control + at + CMSG_HEADER + 4);
                }
                at += (cmsgLength + 7) & ~7L;
            }
            if (pid <= 0 || (flags & MSG_TRUNC) != 0) continue; // no sender known, or too long: dropped whole
            int n = (int) length;
            MEMORY.getByteArray(data, bytes, 0, n);
            int group = LibC.getpgid(pid);
            try {
                receiver.datagram(pid, uid, group > 0 ? group : pid, new String(bytes, 0, n, StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                complaints.accept("notify socket: a datagram from pid " + pid + " failed: " + e);
            }
        }
    }
}
