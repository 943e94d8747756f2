package jinit.posix;

/** The two ends of a pipe; both carry FD_CLOEXEC in this process. */
public record FdPair(int readFd, int writeFd) {}
