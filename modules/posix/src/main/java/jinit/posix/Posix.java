package jinit.posix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The native calls jinit makes, as plain Java. One instance per JVM, from {@link #load()}.
 * Failures surface as {@link PosixException} with the errno and a message naming call and subject.
 */
public final class Posix {
    private static final int PR_SET_CHILD_SUBREAPER = 36;
    private static final int RLIMIT_NOFILE = 7;
    private static final int F_GETFD = 1;
    private static final int SOL_SOCKET = 1;
    private static final int SO_REUSEADDR = 2;
    /** listen(2)'s backlog: the kernel caps it at net.core.somaxconn (4096 since Linux 5.4). */
    static final int LISTEN_BACKLOG = 128;
    /** Mode of a unix socket file: systemd's SocketMode default. Anyone may connect; the job decides who it serves. */
    static final int UNIX_SOCKET_MODE = 0666;
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    /** System property naming the jinit-exec helper; see {@link #execHelper()}. */
    public static final String EXEC_HELPER_PROPERTY = "jinit.execHelper";
    private static final long SIOCGIFFLAGS = 0x8913;
    private static final long SIOCSIFFLAGS = 0x8914;
    private static final int IFF_UP = 0x1;
    private static final int IFF_RUNNING = 0x40;
    // struct ifreq: a 16-byte name, then a 24-byte union whose first member here is short ifr_flags.
    private static final int IFREQ_SIZE = 40;
    private static final int IFNAMSIZ = 16;
    private static final int WNOHANG = 1;

    private static Posix instance;

    private final WaitidReaper reaper = new WaitidReaper();
    private final SocketOwners socketOwners = new SocketOwners();
    private PosixSpawner spawner;
    private PeerUids peerUids;

    private Posix() {}

    /** Binds libc (see {@link LibC}), once per JVM; a libc or jffi stub that cannot be loaded fails here. */
    public static synchronized Posix load() {
        if (instance == null) {
            LibC.getpid(); // initialises LibC: loads jffi's stub and libc, resolves every function
            instance = new Posix();
        }
        return instance;
    }

    public int getpid() {
        return LibC.getpid();
    }

    /** The spawner; its thread "jinit-spawner" starts on first use. */
    public Spawner spawner() {
        return spawnerThread();
    }

    private synchronized PosixSpawner spawnerThread() {
        if (spawner == null) {
            spawner = new PosixSpawner(this, reaper);
        }
        return spawner;
    }

    public Reaper reaper() {
        return reaper;
    }

    /** Sends {@code signal} to {@code pid}, or to the process group {@code -pid} when negative. */
    public void kill(int pid, int signal) throws PosixException {
        check(LibC.kill(pid, signal), "kill", Integer.toString(pid));
    }

    /** Orphaned descendants are reparented to this process instead of PID 1 (a no-op in effect when we are PID 1). */
    public void setChildSubreaper() throws PosixException {
        check(LibC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl", "PR_SET_CHILD_SUBREAPER");
    }

    /** Sets this process's RLIMIT_NOFILE, soft and hard, to {@code limit} (raising the hard limit needs root). */
    public void setOpenFileLimit(long limit) throws PosixException {
        check(LibC.setrlimit(RLIMIT_NOFILE, limit, limit), "setrlimit", "RLIMIT_NOFILE " + limit);
    }

    /** A pipe whose ends are both close-on-exec here; the spawner dup2s them into children. */
    public FdPair pipe() throws PosixException {
        int[] fds = new int[2];
        check(LibC.pipe2(fds, OpenFlags.O_CLOEXEC), "pipe2", null);
        return new FdPair(fds[0], fds[1]);
    }

    /** open(2) with {@link OpenFlags}; O_CLOEXEC is always added so no child inherits the fd by accident. */
    public int open(String path, int flags, int mode) throws PosixException {
        int fd = LibC.open(path, flags | OpenFlags.O_CLOEXEC, mode);
        check(fd, "open", path);
        return fd;
    }

    /** Closes {@code fd}; errors are ignored because Linux releases the fd even when close fails. */
    public void close(int fd) {
        LibC.close(fd);
    }

    /** Whether {@code fd} is a terminal (the console included). */
    public boolean isTerminal(int fd) {
        return LibC.isatty(fd);
    }

    public boolean isOpen(int fd) {
        return LibC.fcntl(fd, F_GETFD, 0) != -1 || LibC.errno() != Errno.EBADF;
    }

    /** dup2(2); the new fd is not close-on-exec. */
    public void dup2(int from, int to) throws PosixException {
        check(LibC.dup2(from, to), "dup2", from + " -> " + to);
    }

    /** mount(2); {@code source}, {@code fstype} and {@code data} may be null. Flags from {@link MountFlags}. */
    public void mount(String source, String target, String fstype, long flags, String data) throws PosixException {
        check(LibC.mount(source, target, fstype, flags, data), "mount", target);
    }

    /** Sets IFF_UP on a network interface, as {@code ip link set NAME up} does; harmless if it is up. */
    public void interfaceUp(String name) throws PosixException {
        byte[] encoded = name.getBytes(StandardCharsets.US_ASCII);
        if (encoded.length == 0 || encoded.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name must be 1 to 15 characters: " + name);
        }
        byte[] ifreq = new byte[IFREQ_SIZE];
        System.arraycopy(encoded, 0, ifreq, 0, encoded.length);
        int socket = LibC.socket(SocketConstants.AF_INET, SocketConstants.SOCK_DGRAM | SocketConstants.SOCK_CLOEXEC, 0);
        check(socket, "socket", "AF_INET");
        try {
            check(LibC.ioctl(socket, SIOCGIFFLAGS, ifreq), "ioctl", "SIOCGIFFLAGS " + name);
            // ifr_flags is a native-endian short; both supported architectures are little-endian.
            int flags = (ifreq[IFNAMSIZ] & 0xff) | (ifreq[IFNAMSIZ + 1] & 0xff) << 8;
            flags |= IFF_UP | IFF_RUNNING;
            ifreq[IFNAMSIZ] = (byte) flags;
            ifreq[IFNAMSIZ + 1] = (byte) (flags >> 8);
            check(LibC.ioctl(socket, SIOCSIFFLAGS, ifreq), "ioctl", "SIOCSIFFLAGS " + name);
        } finally {
            LibC.close(socket);
        }
    }

    /**
     * Opens a socket for a job to inherit, as described by {@link ListenAddress}, and returns its fd. It is
     * close-on-exec here like every fd init opens; the spawner's dup2 into the child clears that on the copy.
     *
     * <p>{@code uid} and {@code gid} own it in the kernel's eyes (its inode, sock_diag, /proc/net/tcp), as a
     * socket the job had made itself would be: a job handed a socket init made as root could otherwise turn it
     * into a client that speaks to init's API as root. The bind still runs as root, so the admin's choice of a
     * privileged port or socket path works.
     *
     * <ul>
     *   <li>TCP: SO_REUSEADDR (a restarted init can bind again while old connections linger in TIME_WAIT),
     *       then listen with a backlog of {@value #LISTEN_BACKLOG}. While no job accepts, connections queue
     *       up to that backlog instead of being refused; that is what lets a job restart unnoticed.
     *   <li>UDP: bound only.
     *   <li>unix: a socket file left at PATH by an earlier run is removed first (a file of any other kind is
     *       left alone, and that is an error), then bind, mode {@code 0666} (systemd's default; the socket
     *       file is owned by root, and only the job decides whom it serves), and listen as for TCP. The
     *       directory must exist.
     *   <li>An IPv6 wildcard {@code [::]} follows the kernel's net.ipv6.bindv6only (0 by default: it takes
     *       IPv4 connections too), as systemd's BindIPv6Only=default does.
     * </ul>
     * Errors read like {@code listen tcp://127.0.0.1:80: Address already in use (EADDRINUSE)}; a malformed
     * uri gives EINVAL with the reason from {@link ListenAddress#parse}.
     */
    public int listenAs(String uri, int uid, int gid) throws PosixException {
        ListenAddress address;
        try {
            address = ListenAddress.parse(uri);
        } catch (IllegalArgumentException e) {
            throw new PosixException(Errno.EINVAL, "listen " + e.getMessage() + " (EINVAL)");
        }
        if (uid != 0 || gid != 0) return spawnerThread().listenAs(address, uid, gid);
        int fd = LibC.socket(address.family(), address.socketType() | SocketConstants.SOCK_CLOEXEC, 0);
        if (fd < 0) throw listenFailure(address, LibC.errno());
        return bindAndListen(fd, address);
    }

    /** Takes over {@code fd}: bound and listening, or closed when a step fails. */
    int bindAndListen(int fd, ListenAddress address) throws PosixException {
        try {
            if (address.protocol() == ListenAddress.Protocol.TCP) {
                listenStep(LibC.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1), address);
            }
            if (address.path() != null) {
                removeStaleSocket(address);
            }
            byte[] sockaddr = address.sockaddr();
            listenStep(LibC.bind(fd, sockaddr), address);
            if (address.path() != null) {
                listenStep(LibC.chmod(address.path(), UNIX_SOCKET_MODE), address);
            }
            if (address.protocol() != ListenAddress.Protocol.UDP) {
                listenStep(LibC.listen(fd, LISTEN_BACKLOG), address);
            }
            return fd;
        } catch (PosixException e) {
            LibC.close(fd);
            throw e;
        }
    }

    /** Caller identity for the API: probed once, on first use, for whether this kernel has sock_diag. */
    public synchronized PeerUids peerUids() {
        if (peerUids == null) {
            peerUids = PeerUids.probe(socketOwners);
        }
        return peerUids;
    }

    /**
     * The jinit-exec helper, which a job that receives fds is started through so that LISTEN_PID is its own
     * pid (see {@code src/main/c/jinit-exec.c} and {@link SpawnRequest#socketActivated}). It is the system
     * property {@value #EXEC_HELPER_PROPERTY} when set, else {@code <java.home>/lib/jinit-exec}, where the
     * image ships it. Fails with ENOENT or EACCES when that file is missing or not executable.
     */
    public static Path execHelper() throws SpawnException {
        String configured = System.getProperty(EXEC_HELPER_PROPERTY);
        Path helper = configured != null
                ? Path.of(configured)
                : Path.of(System.getProperty("java.home"), "lib", "jinit-exec");
        int errno = !Files.exists(helper) ? Errno.ENOENT
                : !Files.isRegularFile(helper) || !Files.isExecutable(helper) ? Errno.EACCES
                : 0;
        if (errno != 0) {
            String why = errno == Errno.ENOENT ? "No such file or directory" : "Not an executable file";
            throw new SpawnException(errno, Errno.message("exec helper", helper.toString(), why, errno)
                    + "; ship it as <java.home>/lib/jinit-exec or set -D" + EXEC_HELPER_PROPERTY);
        }
        return helper.toAbsolutePath();
    }

    /**
     * A child that has ended and is still a zombie, or 0 when there is none: waitid(P_ALL, WEXITED | WNOHANG |
     * WNOWAIT), which reaps nothing, so the reaper still collects it. A zombie that stays is a reaper that is stuck.
     */
    public int unreapedChild() {
        long siginfo = LibC.allocate(WaitidReaper.SIGINFO_SIZE, true);
        try {
            if (LibC.waitid(WaitidReaper.P_ALL, 0, siginfo, WaitidReaper.WEXITED | WNOHANG | WaitidReaper.WNOWAIT) != 0) {
                return 0; // ECHILD: no children at all
            }
            return LibC.memory().getInt(siginfo + WaitidReaper.SI_PID);
        } finally {
            LibC.free(siginfo);
        }
    }

    public void sync() {
        LibC.sync();
    }

    /** reboot(2): does not return on success. Call {@link #sync()} first. */
    public void reboot(RebootCommand cmd) throws PosixException {
        check(LibC.reboot(cmd.code()), "reboot", cmd.name());
    }

    /**
     * {@code n} bytes from getrandom(2) with flags 0: this blocks only until the kernel's random generator has
     * been initialised once after boot, and never after that. A trusted CPU generator (RDRAND, RNDR) or a
     * bootloader's seed initialises it before init runs; without one, the first call waits for the kernel to
     * gather entropy (since 5.4 from timer jitter: seconds, where older kernels could wait minutes), so PID 1 should
     * not call this before it must.
     */
    public byte[] getrandom(int n) throws PosixException {
        byte[] result = new byte[n];
        int filled = 0;
        while (filled < n) {
            long got = LibC.getrandom(result, filled, n - filled, 0);
            if (got < 0) {
                int errno = LibC.errno();
                if (errno == Errno.EINTR) {
                    continue;
                }
                throw failure("getrandom", null, errno);
            }
            filled += (int) got;
        }
        return result;
    }

    void check(int result, String call, String subject) throws PosixException {
        if (result < 0) {
            throw failure(call, subject, LibC.errno());
        }
    }

    /** A unix socket file from an earlier run would make bind fail with EADDRINUSE; anything else is not ours. */
    private void removeStaleSocket(ListenAddress address) throws PosixException {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(Path.of(address.path()), "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            return; // bind will say what is wrong with the path
        }
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new PosixException(Errno.EEXIST, Errno.message("listen", address.toString(),
                    "File exists and is not a socket, so it was left alone", Errno.EEXIST));
        }
        if (LibC.unlink(address.path()) < 0 && LibC.errno() != Errno.ENOENT) {
            throw listenFailure(address, LibC.errno());
        }
    }

    private void listenStep(int result, ListenAddress address) throws PosixException {
        if (result < 0) {
            throw listenFailure(address, LibC.errno());
        }
    }

    /** "listen tcp://127.0.0.1:80: Address already in use (EADDRINUSE)", whichever step failed. */
    PosixException listenFailure(ListenAddress address, int errno) {
        return new PosixException(errno,
                Errno.message("listen", address.toString(), LibC.strerror(errno), errno));
    }

    PosixException failure(String call, String subject, int errno) {
        return new PosixException(errno, Errno.message(call, subject, LibC.strerror(errno), errno));
    }
}
