package jinit.posix;

import com.kenai.jffi.Type;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * What the tests do with a raw fd and init never does: read it into an array, write an array to it, ask a
 * socket's port. Init reads through the output pump and the spawner, into native buffers of their own.
 */
final class Fds {
    private static final Posix POSIX = Children.POSIX;
    /** The one libc function only tests call. */
    private static final LibC.Function GETSOCKNAME =
            LibC.function("getsockname", Type.SINT32, Type.SINT32, Type.POINTER, Type.POINTER);
    /** sockaddr_storage: big enough for every address family. */
    private static final int SOCKADDR_STORAGE = 128;

    private Fds() {}

    /** One read(2) into {@code buffer}: the count, 0 at end of file. Blocks. */
    static int read(int fd, byte[] buffer) throws PosixException {
        long into = LibC.allocate(buffer.length, false);
        try {
            while (true) {
                long n = LibC.read(fd, into, buffer.length);
                if (n >= 0) {
                    LibC.memory().getByteArray(into, buffer, 0, (int) n);
                    return (int) n;
                }
                int errno = LibC.errno();
                if (errno != Errno.EINTR) throw POSIX.failure("read", Integer.toString(fd), errno);
            }
        } finally {
            LibC.free(into);
        }
    }

    /** Writes all of {@code bytes}, retrying short writes. */
    static void write(int fd, byte[] bytes) throws PosixException {
        byte[] rest = bytes;
        while (rest.length > 0) {
            long n = LibC.write(fd, rest, rest.length);
            if (n >= 0) {
                rest = Arrays.copyOfRange(rest, (int) n, rest.length);
            } else {
                int errno = LibC.errno();
                if (errno != Errno.EINTR) throw POSIX.failure("write", Integer.toString(fd), errno);
            }
        }
    }

    /** The port a TCP or UDP socket is bound to (getsockname(2)): how to learn the port of {@code :0}. */
    static int localPort(int socketFd) throws PosixException {
        byte[] sockaddr = new byte[SOCKADDR_STORAGE];
        long address = LibC.allocate(SOCKADDR_STORAGE + Integer.BYTES, true);
        try {
            long length = address + SOCKADDR_STORAGE; // socklen_t, in and out
            LibC.memory().putInt(length, SOCKADDR_STORAGE);
            POSIX.check((int) GETSOCKNAME.call(socketFd, address, length), "getsockname", Integer.toString(socketFd));
            LibC.memory().getByteArray(address, sockaddr, 0, SOCKADDR_STORAGE);
        } finally {
            LibC.free(address);
        }
        ByteBuffer b = ByteBuffer.wrap(sockaddr).order(ByteOrder.nativeOrder());
        int family = b.getShort(0);
        if (family != SocketConstants.AF_INET && family != SocketConstants.AF_INET6) {
            throw new IllegalArgumentException("fd " + socketFd + " is not an IPv4 or IPv6 socket (family " + family + ")");
        }
        // sin_port and sin6_port sit at the same offset, in network byte order.
        return b.order(ByteOrder.BIG_ENDIAN).getShort(2) & 0xffff;
    }
}
