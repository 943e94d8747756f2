package jinit.posix;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import jinit.posix.ffi.LibC;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
import jnr.ffi.Runtime;

/**
 * The native calls jinit makes, as plain Java. One instance per JVM, from {@link #load()}.
 * Failures surface as {@link PosixException} with the errno and a message naming call and subject.
 */
public final class Posix {
    private static final int PR_SET_CHILD_SUBREAPER = 36;
    private static final int F_GETFD = 1;
    private static final int AF_INET = 2;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final long SIOCGIFFLAGS = 0x8913;
    private static final long SIOCSIFFLAGS = 0x8914;
    private static final int IFF_UP = 0x1;
    private static final int IFF_RUNNING = 0x40;
    // struct ifreq: a 16-byte name, then a 24-byte union whose first member here is short ifr_flags.
    private static final int IFREQ_SIZE = 40;
    private static final int IFNAMSIZ = 16;

    private static Posix instance;

    private final LibC libc;
    private final Runtime runtime;
    private final WaitidReaper reaper;
    private PosixSpawner spawner;

    private Posix(LibC libc) {
        this.libc = libc;
        this.runtime = Runtime.getRuntime(libc);
        this.reaper = new WaitidReaper(libc, runtime);
    }

    /**
     * Binds libc, once per JVM. A jlink image ships jffi's native stub as
     * {@code lib/jffi/<arch>-Linux/libjffi-1.2.so}; pointing jffi there keeps it from unpacking the
     * stub into a temporary directory, which PID 1 may not have (or may not be able to write).
     */
    public static synchronized Posix load() {
        if (instance == null) {
            Path stubs = Path.of(System.getProperty("java.home"), "lib", "jffi");
            if (Files.isDirectory(stubs) && System.getProperty("jffi.boot.library.path") == null) {
                System.setProperty("jffi.boot.library.path", stubs.toString());
            }
            String libcName = Platform.getNativePlatform().getStandardCLibraryName();
            instance = new Posix(LibraryLoader.create(LibC.class).load(libcName));
        }
        return instance;
    }

    public int getpid() {
        return libc.getpid();
    }

    /** The spawner; its thread "jinit-spawner" starts on first use. */
    public synchronized Spawner spawner() {
        if (spawner == null) {
            spawner = new PosixSpawner(libc, runtime, reaper);
        }
        return spawner;
    }

    public Reaper reaper() {
        return reaper;
    }

    /** Sends {@code signal} to {@code pid}, or to the process group {@code -pid} when negative. */
    public void kill(int pid, int signal) throws PosixException {
        check(libc.kill(pid, signal), "kill", Integer.toString(pid));
    }

    /** Orphaned descendants are reparented to this process instead of PID 1 (a no-op in effect when we are PID 1). */
    public void setChildSubreaper() throws PosixException {
        check(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl", "PR_SET_CHILD_SUBREAPER");
    }

    /** A pipe whose ends are both close-on-exec here; the spawner dup2s them into children. */
    public FdPair pipe() throws PosixException {
        int[] fds = new int[2];
        check(libc.pipe2(fds, OpenFlags.O_CLOEXEC), "pipe2", null);
        return new FdPair(fds[0], fds[1]);
    }

    /** open(2) with {@link OpenFlags}; O_CLOEXEC is always added so no child inherits the fd by accident. */
    public int open(String path, int flags, int mode) throws PosixException {
        int fd = libc.open(path, flags | OpenFlags.O_CLOEXEC, mode);
        check(fd, "open", path);
        return fd;
    }

    /** Closes {@code fd}; errors are ignored because Linux releases the fd even when close fails. */
    public void close(int fd) {
        libc.close(fd);
    }

    public boolean isOpen(int fd) {
        return libc.fcntl(fd, F_GETFD, 0) != -1 || LastError.getLastError(runtime) != Errno.EBADF;
    }

    /** dup2(2); the new fd is not close-on-exec. */
    public void dup2(int from, int to) throws PosixException {
        check(libc.dup2(from, to), "dup2", from + " -> " + to);
    }

    /**
     * Reads up to {@code length} bytes into {@code buffer[offset..]}; returns the count, 0 at end of file.
     * Blocks this thread in native code (a virtual thread pins its carrier), so call it on a platform thread
     * or on a non-blocking fd.
     */
    public int read(int fd, byte[] buffer, int offset, int length) throws PosixException {
        // The kernel writes up to `length` bytes into jnr's copy, which is only as long as the array.
        Objects.checkFromIndexSize(offset, length, buffer.length);
        while (true) {
            byte[] target = offset == 0 ? buffer : new byte[length];
            long n = libc.read(fd, target, length);
            if (n >= 0) {
                if (target != buffer) {
                    System.arraycopy(target, 0, buffer, offset, (int) n);
                }
                return (int) n;
            }
            int errno = LastError.getLastError(runtime);
            if (errno != Errno.EINTR) {
                throw failure("read", Integer.toString(fd), errno);
            }
        }
    }

    /** Writes all of {@code buffer[offset..offset+length]}, retrying short writes; blocks like {@link #read}. */
    public void write(int fd, byte[] buffer, int offset, int length) throws PosixException {
        Objects.checkFromIndexSize(offset, length, buffer.length);
        byte[] rest = Arrays.copyOfRange(buffer, offset, offset + length);
        while (rest.length > 0) {
            long n = libc.write(fd, rest, rest.length);
            if (n >= 0) {
                rest = Arrays.copyOfRange(rest, (int) n, rest.length);
            } else {
                int errno = LastError.getLastError(runtime);
                if (errno != Errno.EINTR) {
                    throw failure("write", Integer.toString(fd), errno);
                }
            }
        }
    }

    /** mount(2); {@code source}, {@code fstype} and {@code data} may be null. Flags from {@link MountFlags}. */
    public void mount(String source, String target, String fstype, long flags, String data) throws PosixException {
        check(libc.mount(source, target, fstype, flags, data), "mount", target);
    }

    /** Sets IFF_UP on a network interface, as {@code ip link set NAME up} does; harmless if it is up. */
    public void interfaceUp(String name) throws PosixException {
        byte[] encoded = name.getBytes(StandardCharsets.US_ASCII);
        if (encoded.length == 0 || encoded.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name must be 1 to 15 characters: " + name);
        }
        byte[] ifreq = new byte[IFREQ_SIZE];
        System.arraycopy(encoded, 0, ifreq, 0, encoded.length);
        int socket = libc.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        check(socket, "socket", "AF_INET");
        try {
            check(libc.ioctl(socket, SIOCGIFFLAGS, ifreq), "ioctl", "SIOCGIFFLAGS " + name);
            // ifr_flags is a native-endian short; both supported architectures are little-endian.
            int flags = (ifreq[IFNAMSIZ] & 0xff) | (ifreq[IFNAMSIZ + 1] & 0xff) << 8;
            flags |= IFF_UP | IFF_RUNNING;
            ifreq[IFNAMSIZ] = (byte) flags;
            ifreq[IFNAMSIZ + 1] = (byte) (flags >> 8);
            check(libc.ioctl(socket, SIOCSIFFLAGS, ifreq), "ioctl", "SIOCSIFFLAGS " + name);
        } finally {
            libc.close(socket);
        }
    }

    public void sync() {
        libc.sync();
    }

    /** reboot(2): does not return on success. Call {@link #sync()} first. */
    public void reboot(RebootCommand cmd) throws PosixException {
        check(libc.reboot(cmd.code()), "reboot", cmd.name());
    }

    /**
     * {@code n} bytes from getrandom(2) with flags 0: this blocks only until the kernel's entropy pool
     * has been initialised once after boot, and never after that. Early in boot that wait can be
     * noticeable on machines without a hardware RNG, so PID 1 should not call this before it must.
     */
    public byte[] getrandom(int n) throws PosixException {
        byte[] result = new byte[n];
        int filled = 0;
        while (filled < n) {
            byte[] chunk = filled == 0 ? result : new byte[n - filled];
            long got = libc.getrandom(chunk, n - filled, 0);
            if (got < 0) {
                int errno = LastError.getLastError(runtime);
                if (errno == Errno.EINTR) {
                    continue;
                }
                throw failure("getrandom", null, errno);
            }
            if (chunk != result) {
                System.arraycopy(chunk, 0, result, filled, (int) got);
            }
            filled += (int) got;
        }
        return result;
    }

    /** setsid(2): returns the new session id, or -1 if this process already leads a process group. */
    public int setsid() {
        return libc.setsid();
    }

    public String strerror(int errno) {
        return libc.strerror(errno);
    }

    LibC libc() {
        return libc;
    }

    Runtime runtime() {
        return runtime;
    }

    void check(int result, String call, String subject) throws PosixException {
        if (result < 0) {
            throw failure(call, subject, LastError.getLastError(runtime));
        }
    }

    PosixException failure(String call, String subject, int errno) {
        return new PosixException(call, errno, Errno.message(call, subject, libc.strerror(errno), errno));
    }
}
