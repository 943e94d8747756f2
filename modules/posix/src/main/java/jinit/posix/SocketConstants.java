package jinit.posix;

/** What socket(2) takes: address families, socket types and the close-on-exec flag; the same on x86_64 and aarch64. */
final class SocketConstants {
    static final int AF_UNIX = 1;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int AF_NETLINK = 16;
    static final int SOCK_STREAM = 1;
    static final int SOCK_DGRAM = 2;
    /** Or'ed into the type; the kernel defines it as O_CLOEXEC. */
    static final int SOCK_CLOEXEC = OpenFlags.O_CLOEXEC;

    private SocketConstants() {}
}
