package jinit.posix.ffi;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.IgnoreError;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.Variadic;

/**
 * The glibc functions jinit calls, bound by jnr-ffi. Only {@code jinit.posix} uses this;
 * it is exported solely because jnr generates the implementation in an unnamed module.
 *
 * <p>Native buffers jinit keeps for the hot paths (spawning, reaping) are passed as
 * {@code long} addresses, which avoids a wrapper object per argument; occasional calls
 * use Java arrays, which jnr copies in or out. Functions that report failure through
 * their return value rather than errno are marked {@link IgnoreError}.
 */
public interface LibC {
    // Never declare a function with six numeric (int/long) parameters: see posix_spawn.

    int getpid();

    int getuid();

    int getgid();

    /** Per thread, unlike set*id: glibc does not broadcast it. Returns the previous fsuid, never an error. */
    @IgnoreError
    int setfsuid(int fsuid);

    @IgnoreError
    int setfsgid(int fsgid);

    /** {@code fds} is the address of {@code nfds} struct pollfd. */
    int poll(long fds, long nfds, int timeoutMillis);

    int kill(int pid, int signal);

    /** {@code limit} is struct rlimit: the soft and the hard limit. */
    int setrlimit(int resource, @In long[] limit);

    @Variadic(fixedCount = 1)
    int prctl(int option, long a2, long a3, long a4, long a5);

    int pipe2(@Out int[] fds, int flags);

    @Variadic(fixedCount = 2)
    int open(String path, int flags, int mode);

    int close(int fd);

    @Variadic(fixedCount = 2)
    int fcntl(int fd, int cmd, int arg);

    int dup2(int from, int to);

    /** read(2) into native memory at {@code buf}: for buffers reused across calls. */
    long read(int fd, long buf, long count);

    long write(int fd, @In byte[] buf, long count);

    int mount(String source, String target, String fstype, long flags, String data);

    int socket(int domain, int type, int protocol);

    int bind(int fd, @In byte[] address, int length);

    int listen(int fd, int backlog);

    int setsockopt(int fd, int level, int name, @In int[] value, int length);

    long sendto(int fd, @In byte[] buf, long length, int flags, @In byte[] address, int addressLength);

    long recv(int fd, @Out byte[] buf, long length, int flags);

    int unlink(String path);

    int chmod(String path, int mode);

    int epoll_create1(int flags);

    /** {@code event} is the address of one struct epoll_event, or 0 for EPOLL_CTL_DEL. */
    int epoll_ctl(int epfd, int op, int fd, long event);

    int epoll_wait(int epfd, long events, int maxEvents, int timeoutMillis);

    int eventfd(int initval, int flags);

    @Variadic(fixedCount = 2)
    int ioctl(int fd, long request, @In @Out byte[] arg);

    @IgnoreError
    void sync();

    int reboot(int cmd);

    long getrandom(@Out byte[] buf, long length, int flags);

    @IgnoreError
    String strerror(int errno);

    int waitid(int idtype, int id, long infop, int options);

    int waitpid(int pid, long status, int options);

    // posix_spawn and its helpers return an error number instead of setting errno.

    /**
     * Takes {@link Pointer}s for some arguments on purpose: jnr-ffi passes a garbage sixth argument when
     * all six are numeric (jnr/jnr-ffi#181; seen with 2.3.7 and jffi 1.4.3), which made exec fail with EFAULT.
     */
    @IgnoreError
    int posix_spawn(Pointer pid, long path, Pointer fileActions, Pointer attr, long argv, long envp);

    @IgnoreError
    int posix_spawn_file_actions_init(long fileActions);

    @IgnoreError
    int posix_spawn_file_actions_destroy(long fileActions);

    @IgnoreError
    int posix_spawn_file_actions_adddup2(long fileActions, int fd, int newFd);

    @IgnoreError
    int posix_spawn_file_actions_addopen(long fileActions, int fd, long path, int flags, int mode);

    @IgnoreError
    int posix_spawn_file_actions_addchdir_np(long fileActions, long path);

    @IgnoreError
    int posix_spawn_file_actions_addclosefrom_np(long fileActions, int lowFd);

    @IgnoreError
    int posix_spawnattr_init(long attr);

    @IgnoreError
    int posix_spawnattr_setflags(long attr, short flags);

    @IgnoreError
    int posix_spawnattr_setsigmask(long attr, long sigset);

    @IgnoreError
    int posix_spawnattr_setsigdefault(long attr, long sigset);
}
