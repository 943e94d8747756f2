package jinit.posix;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * What the tests do with a raw fd and init never does: read it into an array, write an array to it, ask a
 * socket's port. Init reads through the output pump and the spawner, into native buffers of their own.
 */
final class Fds {
    /** The libc calls only tests make. Public because jnr-ffi implements it outside this module. */
    public interface Calls {
        long read(int fd, @Out byte[] buf, long count);

        int getsockname(int fd, @Out byte[] address, @In @Out int[] length);
    }

    private static final Posix POSIX = Children.POSIX;
    private static final Calls CALLS = LibraryLoader.create(Calls.class)
            .load(Platform.getNativePlatform().getStandardCLibraryName());
    /** sockaddr_storage: big enough for every address family. */
    private static final int SOCKADDR_STORAGE = 128;

    private Fds() {}

    /** One read(2) into {@code buffer}: the count, 0 at end of file. Blocks. */
    static int read(int fd, byte[] buffer) throws PosixException {
        while (true) {
            long n = CALLS.read(fd, buffer, buffer.length);
            if (n >= 0) return (int) n;
            int errno = LastError.getLastError(POSIX.runtime());
            if (errno != Errno.EINTR) throw POSIX.failure("read", Integer.toString(fd), errno);
        }
    }

    /** Writes all of {@code bytes}, retrying short writes. */
    static void write(int fd, byte[] bytes) throws PosixException {
        byte[] rest = bytes;
        while (rest.length > 0) {
            long n = POSIX.libc().write(fd, rest, rest.length);
            if (n >= 0) {
                rest = Arrays.copyOfRange(rest, (int) n, rest.length);
            } else {
                int errno = LastError.getLastError(POSIX.runtime());
                if (errno != Errno.EINTR) throw POSIX.failure("write", Integer.toString(fd), errno);
            }
        }
    }

    /** The port a TCP or UDP socket is bound to (getsockname(2)): how to learn the port of {@code :0}. */
    static int localPort(int socketFd) throws PosixException {
        byte[] sockaddr = new byte[SOCKADDR_STORAGE];
        int[] length = {sockaddr.length};
        POSIX.check(CALLS.getsockname(socketFd, sockaddr, length), "getsockname", Integer.toString(socketFd));
        ByteBuffer b = ByteBuffer.wrap(sockaddr).order(ByteOrder.nativeOrder());
        int family = b.getShort(0);
        if (family != SocketConstants.AF_INET && family != SocketConstants.AF_INET6) {
            throw new IllegalArgumentException("fd " + socketFd + " is not an IPv4 or IPv6 socket (family " + family + ")");
        }
        // sin_port and sin6_port sit at the same offset, in network byte order.
        return b.order(ByteOrder.BIG_ENDIAN).getShort(2) & 0xffff;
    }
}
