package jinit.posix;

/**
 * Symbolic names for errno values. Linux uses the same (asm-generic) numbers on x86_64 and aarch64,
 * and glibc has no function that returns a name, so the common ones are listed here.
 */
final class Errno {
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int EBADF = 9;
    static final int ECHILD = 10;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EACCES = 13;
    static final int EEXIST = 17;
    static final int ENOTDIR = 20;
    static final int EINVAL = 22;
    static final int EMFILE = 24;
    static final int EADDRINUSE = 98;
    static final int ETIMEDOUT = 110;

    private Errno() {}

    /** "ENOENT", or "errno 200" for a number this table does not know. */
    static String name(int errno) {
        return switch (errno) {
            case 1 -> "EPERM";
            case 2 -> "ENOENT";
            case 3 -> "ESRCH";
            case 4 -> "EINTR";
            case 5 -> "EIO";
            case 6 -> "ENXIO";
            case 7 -> "E2BIG";
            case 8 -> "ENOEXEC";
            case 9 -> "EBADF";
            case 10 -> "ECHILD";
            case 11 -> "EAGAIN";
            case 12 -> "ENOMEM";
            case 13 -> "EACCES";
            case 14 -> "EFAULT";
            case 15 -> "ENOTBLK";
            case 16 -> "EBUSY";
            case 17 -> "EEXIST";
            case 18 -> "EXDEV";
            case 19 -> "ENODEV";
            case 20 -> "ENOTDIR";
            case 21 -> "EISDIR";
            case 22 -> "EINVAL";
            case 23 -> "ENFILE";
            case 24 -> "EMFILE";
            case 25 -> "ENOTTY";
            case 26 -> "ETXTBSY";
            case 27 -> "EFBIG";
            case 28 -> "ENOSPC";
            case 29 -> "ESPIPE";
            case 30 -> "EROFS";
            case 31 -> "EMLINK";
            case 32 -> "EPIPE";
            case 33 -> "EDOM";
            case 34 -> "ERANGE";
            case 35 -> "EDEADLK";
            case 36 -> "ENAMETOOLONG";
            case 37 -> "ENOLCK";
            case 38 -> "ENOSYS";
            case 39 -> "ENOTEMPTY";
            case 40 -> "ELOOP";
            case 61 -> "ENODATA";
            case 75 -> "EOVERFLOW";
            case 84 -> "EILSEQ";
            case 88 -> "ENOTSOCK";
            case 95 -> "EOPNOTSUPP";
            case 97 -> "EAFNOSUPPORT";
            case 98 -> "EADDRINUSE";
            case 99 -> "EADDRNOTAVAIL";
            case 100 -> "ENETDOWN";
            case 101 -> "ENETUNREACH";
            case 104 -> "ECONNRESET";
            case 105 -> "ENOBUFS";
            case 110 -> "ETIMEDOUT";
            case 111 -> "ECONNREFUSED";
            case 113 -> "EHOSTUNREACH";
            case 116 -> "ESTALE";
            case 122 -> "EDQUOT";
            case 125 -> "ECANCELED";
            default -> "errno " + errno;
        };
    }

    /** "mount /proc: Operation not permitted (EPERM)"; subject may be null. */
    static String message(String action, String subject, String description, int errno) {
        String what = subject == null ? action : action + " " + subject;
        return what + ": " + description + " (" + name(errno) + ")";
    }
}
