package jinit.posix;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.LastError;
import com.kenai.jffi.Library;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The glibc functions jinit calls, bound through jffi's own low-level API: one call context (the C signature)
 * and one symbol address per function, resolved when this class initialises. Nothing is generated at run time,
 * so every class involved fits in the AOT cache (jnr-ffi built a proxy class per interface).
 *
 * <p>How the calls are made:
 * <ul>
 *   <li>Every call goes through {@code Invoker.invokeN*}, which passes each argument as 64 bits. On aarch64
 *       libffi reads each at its declared size (the low bytes, on these little-endian machines); on x86_64 jffi
 *       calls the function directly, which is right because an int argument is the low half of its register.
 *       That direct call also leaves the upper half of an int result undefined, so int results are narrowed
 *       with {@code (int)}.
 *   <li>Buffers kept for the hot paths (spawning, reaping, the output pump) are passed as {@code long}
 *       addresses. Strings and Java arrays of occasional calls are copied to native memory that is freed
 *       before the method returns.
 *   <li>{@link #errno()} is what the last call on this thread left in errno; jffi saves it right after the
 *       call, so native memory handling in between does not disturb it. Functions that report failure through
 *       their return value instead (posix_spawn and its helpers, setfsuid) still save it; it is just unused.
 * </ul>
 * Only x86_64 and aarch64 Linux (LP64: long and pointers are 64 bits) are supported.
 */
final class LibC {
    private static final Invoker INVOKER;
    private static final MemoryIO MEMORY;
    private static final LastError LAST_ERROR;
    private static final Library LIBRARY;

    static {
        // A jlink image ships jffi's native stub as lib/jffi/<arch>-Linux/libjffi-1.2.so. Pointing jffi there keeps
        // it from unpacking the stub into a temporary directory, which PID 1 may not have (or may not be able to
        // write). It must be set before the first jffi class initialises.
        Path stubs = Path.of(System.getProperty("java.home"), "lib", "jffi");
        if (Files.isDirectory(stubs) && System.getProperty("jffi.boot.library.path") == null) {
            System.setProperty("jffi.boot.library.path", stubs.toString());
        }
        INVOKER = Invoker.getInstance();
        MEMORY = MemoryIO.getInstance();
        LAST_ERROR = LastError.getInstance();
        LIBRARY = Library.getCachedInstance("libc.so.6", Library.LAZY | Library.GLOBAL);
        if (LIBRARY == null) {
            throw new UnsatisfiedLinkError("cannot open libc.so.6: " + Library.getLastError());
        }
    }

    private static final Type INT = Type.SINT32;
    private static final Type LONG = Type.SLONG;
    private static final Type POINTER = Type.POINTER;

    private static final Function GETPID = function("getpid", INT);
    private static final Function SETFSUID = function("setfsuid", INT, INT);
    private static final Function SETFSGID = function("setfsgid", INT, INT);
    private static final Function POLL = function("poll", INT, POINTER, LONG, INT);
    private static final Function KILL = function("kill", INT, INT, INT);
    private static final Function SETRLIMIT = function("setrlimit", INT, INT, POINTER);
    private static final Function PRCTL = variadic("prctl", 1, INT, INT, LONG, LONG, LONG, LONG);
    private static final Function PIPE2 = function("pipe2", INT, POINTER, INT);
    private static final Function OPEN = variadic("open", 2, INT, POINTER, INT, INT);
    private static final Function CLOSE = function("close", INT, INT);
    private static final Function FCNTL = variadic("fcntl", 2, INT, INT, INT, INT);
    private static final Function DUP2 = function("dup2", INT, INT, INT);
    private static final Function READ = function("read", LONG, INT, POINTER, LONG);
    private static final Function WRITE = function("write", LONG, INT, POINTER, LONG);
    private static final Function MOUNT = function("mount", INT, POINTER, POINTER, POINTER, LONG, POINTER);
    private static final Function SOCKET = function("socket", INT, INT, INT, INT);
    private static final Function BIND = function("bind", INT, INT, POINTER, INT);
    private static final Function LISTEN = function("listen", INT, INT, INT);
    private static final Function SETSOCKOPT = function("setsockopt", INT, INT, INT, INT, POINTER, INT);
    private static final Function SENDTO = function("sendto", LONG, INT, POINTER, LONG, INT, POINTER, INT);
    private static final Function RECV = function("recv", LONG, INT, POINTER, LONG, INT);
    private static final Function RECVMSG = function("recvmsg", LONG, INT, POINTER, INT);
    private static final Function GETPGID = function("getpgid", INT, INT);
    private static final Function UNLINK = function("unlink", INT, POINTER);
    private static final Function CHMOD = function("chmod", INT, POINTER, INT);
    private static final Function EPOLL_CREATE1 = function("epoll_create1", INT, INT);
    private static final Function EPOLL_CTL = function("epoll_ctl", INT, INT, INT, INT, POINTER);
    private static final Function EPOLL_WAIT = function("epoll_wait", INT, INT, POINTER, INT, INT);
    private static final Function EVENTFD = function("eventfd", INT, INT, INT);
    private static final Function IOCTL = variadic("ioctl", 2, INT, INT, LONG, POINTER);
    private static final Function ISATTY = function("isatty", INT, INT);
    /** glibc 2.41 and later (trixie): posix_spawn then starts the child in a cgroup (clone3's CLONE_INTO_CGROUP). */
    private static final Function SPAWNATTR_SETCGROUP = function("posix_spawnattr_setcgroup_np", INT, POINTER, INT);
    private static final Function SYNC = function("sync", Type.VOID);
    private static final Function REBOOT = function("reboot", INT, INT);
    private static final Function GETRANDOM = function("getrandom", LONG, POINTER, LONG, INT);
    private static final Function STRERROR = function("strerror", POINTER, INT);
    private static final Function WAITID = function("waitid", INT, INT, INT, POINTER, INT);
    private static final Function WAITPID = function("waitpid", INT, INT, POINTER, INT);

    // posix_spawn and its helpers return an error number; they do not set errno.
    private static final Function POSIX_SPAWN =
            function("posix_spawn", INT, POINTER, POINTER, POINTER, POINTER, POINTER, POINTER);
    private static final Function FILE_ACTIONS_INIT = function("posix_spawn_file_actions_init", INT, POINTER);
    private static final Function FILE_ACTIONS_DESTROY = function("posix_spawn_file_actions_destroy", INT, POINTER);
    private static final Function FILE_ACTIONS_ADDDUP2 =
            function("posix_spawn_file_actions_adddup2", INT, POINTER, INT, INT);
    private static final Function FILE_ACTIONS_ADDOPEN =
            function("posix_spawn_file_actions_addopen", INT, POINTER, INT, POINTER, INT, INT);
    private static final Function FILE_ACTIONS_ADDCHDIR =
            function("posix_spawn_file_actions_addchdir_np", INT, POINTER, POINTER);
    private static final Function FILE_ACTIONS_ADDCLOSEFROM =
            function("posix_spawn_file_actions_addclosefrom_np", INT, POINTER, INT);
    private static final Function SPAWNATTR_INIT = function("posix_spawnattr_init", INT, POINTER);
    private static final Function SPAWNATTR_SETFLAGS = function("posix_spawnattr_setflags", INT, POINTER, Type.SINT16);
    private static final Function SPAWNATTR_SETSIGMASK = function("posix_spawnattr_setsigmask", INT, POINTER, POINTER);
    private static final Function SPAWNATTR_SETSIGDEFAULT =
            function("posix_spawnattr_setsigdefault", INT, POINTER, POINTER);

    private LibC() {}

    /** The errno that the last call made on this thread left. */
    static int errno() {
        return LAST_ERROR.get();
    }

    static int getpid() {
        return (int) GETPID.call();
    }

    /** Per thread, unlike set*id: glibc does not broadcast it. Returns the previous fsuid, never an error. */
    static int setfsuid(int fsuid) {
        return (int) SETFSUID.call(fsuid);
    }

    static int setfsgid(int fsgid) {
        return (int) SETFSGID.call(fsgid);
    }

    /** {@code fds} is the address of {@code nfds} struct pollfd. */
    static int poll(long fds, long nfds, int timeoutMillis) {
        return (int) POLL.call(fds, nfds, timeoutMillis);
    }

    static int kill(int pid, int signal) {
        return (int) KILL.call(pid, signal);
    }

    /** struct rlimit: the soft and the hard limit. */
    static int setrlimit(int resource, long soft, long hard) {
        long limit = allocate(2 * Long.BYTES);
        try {
            MEMORY.putLong(limit, soft);
            MEMORY.putLong(limit + Long.BYTES, hard);
            return (int) SETRLIMIT.call(resource, limit);
        } finally {
            MEMORY.freeMemory(limit);
        }
    }

    static int prctl(int option, long a2, long a3, long a4, long a5) {
        return (int) PRCTL.call(option, a2, a3, a4, a5);
    }

    /** pipe2(2) into {@code fds}: the read end, then the write end. */
    static int pipe2(int[] fds, int flags) {
        long pair = allocate(2 * Integer.BYTES);
        try {
            int result = (int) PIPE2.call(pair, flags);
            fds[0] = MEMORY.getInt(pair);
            fds[1] = MEMORY.getInt(pair + Integer.BYTES);
            return result;
        } finally {
            MEMORY.freeMemory(pair);
        }
    }

    static int open(String path, int flags, int mode) {
        long cPath = cString(path);
        try {
            return (int) OPEN.call(cPath, flags, mode);
        } finally {
            free(cPath);
        }
    }

    static int close(int fd) {
        return (int) CLOSE.call(fd);
    }

    static int fcntl(int fd, int cmd, int arg) {
        return (int) FCNTL.call(fd, cmd, arg);
    }

    static int dup2(int from, int to) {
        return (int) DUP2.call(from, to);
    }

    /** read(2) into native memory at {@code buf}: for buffers reused across calls. */
    static long read(int fd, long buf, long count) {
        return READ.call(fd, buf, count);
    }

    static long write(int fd, byte[] buf, int count) {
        long copy = copyIn(buf, count);
        try {
            return WRITE.call(fd, copy, count);
        } finally {
            MEMORY.freeMemory(copy);
        }
    }

    /** {@code source}, {@code fstype} and {@code data} may be null. */
    static int mount(String source, String target, String fstype, long flags, String data) {
        long cSource = 0, cTarget = 0, cFstype = 0, cData = 0;
        try {
            cSource = cString(source);
            cTarget = cString(target);
            cFstype = cString(fstype);
            cData = cString(data);
            return (int) MOUNT.call(cSource, cTarget, cFstype, flags, cData);
        } finally {
            free(cSource);
            free(cTarget);
            free(cFstype);
            free(cData);
        }
    }

    static int socket(int domain, int type, int protocol) {
        return (int) SOCKET.call(domain, type, protocol);
    }

    static int bind(int fd, byte[] address) {
        long copy = copyIn(address, address.length);
        try {
            return (int) BIND.call(fd, copy, address.length);
        } finally {
            MEMORY.freeMemory(copy);
        }
    }

    static int listen(int fd, int backlog) {
        return (int) LISTEN.call(fd, backlog);
    }

    /** setsockopt(2) with an int option value. */
    static int setsockopt(int fd, int level, int name, int value) {
        long copy = allocate(Integer.BYTES);
        try {
            MEMORY.putInt(copy, value);
            return (int) SETSOCKOPT.call(fd, level, name, copy, Integer.BYTES);
        } finally {
            MEMORY.freeMemory(copy);
        }
    }

    static long sendto(int fd, byte[] buf, int length, int flags, byte[] address) {
        long copy = copyIn(buf, length);
        long to = 0;
        try {
            to = copyIn(address, address.length);
            return SENDTO.call(fd, copy, length, flags, to, address.length);
        } finally {
            MEMORY.freeMemory(copy);
            free(to);
        }
    }

    /** recv(2) into {@code buf[0..length)}. */
    static long recv(int fd, byte[] buf, int length, int flags) {
        long into = allocate(length);
        try {
            long got = RECV.call(fd, into, length, flags);
            if (got > 0) MEMORY.getByteArray(into, buf, 0, (int) Math.min(got, length));
            return got;
        } finally {
            MEMORY.freeMemory(into);
        }
    }

    /** recvmsg(2) with a struct msghdr at {@code msghdr}, whose buffers the caller keeps. */
    static long recvmsg(int fd, long msghdr, int flags) {
        return RECVMSG.call(fd, msghdr, flags);
    }

    static int getpgid(int pid) {
        return (int) GETPGID.call(pid);
    }

    static int unlink(String path) {
        long cPath = cString(path);
        try {
            return (int) UNLINK.call(cPath);
        } finally {
            free(cPath);
        }
    }

    static int chmod(String path, int mode) {
        long cPath = cString(path);
        try {
            return (int) CHMOD.call(cPath, mode);
        } finally {
            free(cPath);
        }
    }

    static int epoll_create1(int flags) {
        return (int) EPOLL_CREATE1.call(flags);
    }

    /** {@code event} is the address of one struct epoll_event, or 0 for EPOLL_CTL_DEL. */
    static int epoll_ctl(int epfd, int op, int fd, long event) {
        return (int) EPOLL_CTL.call(epfd, op, fd, event);
    }

    static int epoll_wait(int epfd, long events, int maxEvents, int timeoutMillis) {
        return (int) EPOLL_WAIT.call(epfd, events, maxEvents, timeoutMillis);
    }

    static int eventfd(int initval, int flags) {
        return (int) EVENTFD.call(initval, flags);
    }

    static boolean isatty(int fd) {
        return (int) ISATTY.call(fd) == 1;
    }

    /** Whether this glibc has {@link #posix_spawnattr_setcgroup_np} (2.41 and later). */
    static boolean hasSpawnCgroup() {
        return SPAWNATTR_SETCGROUP.address() != 0;
    }

    static int posix_spawnattr_setcgroup_np(long attr, int cgroupFd) {
        return (int) SPAWNATTR_SETCGROUP.call(attr, cgroupFd);
    }

    /** ioctl(2) whose argument is a buffer the kernel reads and may write back: {@code arg} is both. */
    static int ioctl(int fd, long request, byte[] arg) {
        long copy = copyIn(arg, arg.length);
        try {
            int result = (int) IOCTL.call(fd, request, copy);
            MEMORY.getByteArray(copy, arg, 0, arg.length);
            return result;
        } finally {
            MEMORY.freeMemory(copy);
        }
    }

    static void sync() {
        SYNC.call();
    }

    static int reboot(int cmd) {
        return (int) REBOOT.call(cmd);
    }

    /** getrandom(2) into {@code buf[offset..offset+length)}. */
    static long getrandom(byte[] buf, int offset, int length, int flags) {
        long into = allocate(length);
        try {
            long got = GETRANDOM.call(into, length, flags);
            if (got > 0) MEMORY.getByteArray(into, buf, offset, (int) Math.min(got, length));
            return got;
        } finally {
            MEMORY.freeMemory(into);
        }
    }

    /** glibc's message for {@code errno}, such as "No such file or directory". */
    static String strerror(int errno) {
        long message = STRERROR.call(errno);
        return message == 0 ? "errno " + errno
                : new String(MEMORY.getZeroTerminatedByteArray(message), StandardCharsets.UTF_8);
    }

    static int waitid(int idtype, int id, long infop, int options) {
        return (int) WAITID.call(idtype, id, infop, options);
    }

    static int waitpid(int pid, long status, int options) {
        return (int) WAITPID.call(pid, status, options);
    }

    static int posix_spawn(long pid, long path, long fileActions, long attr, long argv, long envp) {
        return (int) POSIX_SPAWN.call(pid, path, fileActions, attr, argv, envp);
    }

    static int posix_spawn_file_actions_init(long fileActions) {
        return (int) FILE_ACTIONS_INIT.call(fileActions);
    }

    static int posix_spawn_file_actions_destroy(long fileActions) {
        return (int) FILE_ACTIONS_DESTROY.call(fileActions);
    }

    static int posix_spawn_file_actions_adddup2(long fileActions, int fd, int newFd) {
        return (int) FILE_ACTIONS_ADDDUP2.call(fileActions, fd, newFd);
    }

    static int posix_spawn_file_actions_addopen(long fileActions, int fd, long path, int flags, int mode) {
        return (int) FILE_ACTIONS_ADDOPEN.call(fileActions, fd, path, flags, mode);
    }

    static int posix_spawn_file_actions_addchdir_np(long fileActions, long path) {
        return (int) FILE_ACTIONS_ADDCHDIR.call(fileActions, path);
    }

    static int posix_spawn_file_actions_addclosefrom_np(long fileActions, int lowFd) {
        return (int) FILE_ACTIONS_ADDCLOSEFROM.call(fileActions, lowFd);
    }

    static int posix_spawnattr_init(long attr) {
        return (int) SPAWNATTR_INIT.call(attr);
    }

    static int posix_spawnattr_setflags(long attr, short flags) {
        return (int) SPAWNATTR_SETFLAGS.call(attr, flags);
    }

    static int posix_spawnattr_setsigmask(long attr, long sigset) {
        return (int) SPAWNATTR_SETSIGMASK.call(attr, sigset);
    }

    static int posix_spawnattr_setsigdefault(long attr, long sigset) {
        return (int) SPAWNATTR_SETSIGDEFAULT.call(attr, sigset);
    }

    // Native memory, for the buffers callers keep and for the copies made above.

    /** {@code size} bytes of native memory, zeroed when {@code clear}; release it with {@link #free}. */
    static long allocate(long size, boolean clear) {
        long address = MEMORY.allocateMemory(Math.max(1, size), clear);
        if (address == 0) throw new OutOfMemoryError("malloc of " + size + " bytes failed");
        return address;
    }

    private static long allocate(long size) {
        return allocate(size, false);
    }

    /** Frees what {@link #allocate} returned; 0 is ignored. */
    static void free(long address) {
        if (address != 0) MEMORY.freeMemory(address);
    }

    /** The machine's native memory access (jffi's, through JNI): for reading and writing allocated buffers. */
    static MemoryIO memory() {
        return MEMORY;
    }

    /** {@code bytes[0..length)} in fresh native memory. */
    private static long copyIn(byte[] bytes, int length) {
        long address = allocate(length);
        MEMORY.putByteArray(address, bytes, 0, length);
        return address;
    }

    /** {@code s} as a NUL-terminated UTF-8 string in fresh native memory; 0 (NULL) for null. */
    private static long cString(String s) {
        if (s == null) return 0;
        byte[] encoded = s.getBytes(StandardCharsets.UTF_8);
        long address = allocate(encoded.length + 1);
        MEMORY.putByteArray(address, encoded, 0, encoded.length);
        MEMORY.putByte(address + encoded.length, (byte) 0);
        return address;
    }

    // Binding.

    /** A libc function that takes {@code params} and returns {@code result}; errno is saved after each call. */
    static Function function(String name, Type result, Type... params) {
        return new Function(name, CallContext.getCallContext(result, params, CallingConvention.DEFAULT, true),
                LIBRARY.getSymbolAddress(name));
    }

    /**
     * A variadic function ({@code ...} after {@code fixed} parameters), with the types this caller passes.
     * jffi 1.4.3 prepares it with libffi's ffi_prep_cif_var, although its context cache does not tell it
     * from a non-variadic signature of the same types. That is harmless here: on x86_64 an integer argument
     * goes to the same register either way (jffi clears %al, the vector-register count), and the Linux
     * AAPCS64 passes variadic arguments as named ones (only Apple's arm64 ABI puts them on the stack).
     */
    private static Function variadic(String name, int fixed, Type result, Type... params) {
        return new Function(name, CallContext.getCallContext(result, fixed, params, CallingConvention.DEFAULT, true),
                LIBRARY.getSymbolAddress(name));
    }

    /**
     * One C function: its signature and address (0 when this libc lacks it, which fails only when it is
     * called, as a missing function should). See the class comment for how arguments and results pass.
     */
    record Function(String name, CallContext context, long address) {
        long call() {
            return INVOKER.invokeN0(context, target());
        }

        long call(long a) {
            return INVOKER.invokeN1(context, target(), a);
        }

        long call(long a, long b) {
            return INVOKER.invokeN2(context, target(), a, b);
        }

        long call(long a, long b, long c) {
            return INVOKER.invokeN3(context, target(), a, b, c);
        }

        long call(long a, long b, long c, long d) {
            return INVOKER.invokeN4(context, target(), a, b, c, d);
        }

        long call(long a, long b, long c, long d, long e) {
            return INVOKER.invokeN5(context, target(), a, b, c, d, e);
        }

        long call(long a, long b, long c, long d, long e, long f) {
            return INVOKER.invokeN6(context, target(), a, b, c, d, e, f);
        }

        private long target() {
            if (address == 0) throw new UnsatisfiedLinkError(name + " is not in libc.so.6");
            return address;
        }
    }
}
