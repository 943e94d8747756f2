package jinit.posix;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A hardware watchdog, /dev/watchdog*, through the kernel's watchdog API (linux/watchdog.h). Once open, the
 * device resets the machine unless it is petted within its timeout. It is opened close-on-exec, so no job ever
 * inherits it (a job that held it could keep a hung init alive, or reset the board by closing it).
 *
 * <p>There is deliberately no close: the only way to stop a watchdog is the "magic close" (write 'V', then
 * close), and init must never stop it; closing without it leaves the watchdog running, which is what a dying
 * init gets anyway.
 */
public final class WatchdogDevice {
    // _IOR/_IOWR('W', nr, size): the generic ioctl encoding, the same on x86_64 and aarch64.
    static final long WDIOC_GETSUPPORT = ioctl(2, 0, 40);
    static final long WDIOC_KEEPALIVE = ioctl(2, 5, 4);
    static final long WDIOC_SETTIMEOUT = ioctl(3, 6, 4);
    static final long WDIOC_GETTIMEOUT = ioctl(2, 7, 4);
    /** struct watchdog_info: __u32 options, __u32 firmware_version, __u8 identity[32]. */
    private static final int INFO_SIZE = 40;
    private static final int IDENTITY_OFFSET = 8;
    /** WDIOF_SETTIMEOUT in watchdog_info.options: the timeout can be set. */
    public static final int WDIOF_SETTIMEOUT = 0x0080;

    private final String path;
    private final int fd;

    private WatchdogDevice(String path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /** Opens (and so arms) {@code path} write-only and close-on-exec. */
    public static WatchdogDevice open(Posix posix, String path) throws PosixException {
        return new WatchdogDevice(path, posix.open(path, OpenFlags.O_WRONLY, 0));
    }

    public String path() {
        return path;
    }

    /** The fd, for tests that check what a child can see. */
    public int fd() {
        return fd;
    }

    /** What the driver says it is (WDIOC_GETSUPPORT): "i6300ESB timer", say. ENOTTY means no watchdog at all. */
    public Identity identity() throws PosixException {
        byte[] info = new byte[INFO_SIZE];
        check(LibC.ioctl(fd, WDIOC_GETSUPPORT, info), "WDIOC_GETSUPPORT");
        ByteBuffer in = ByteBuffer.wrap(info).order(ByteOrder.nativeOrder());
        int end = IDENTITY_OFFSET;
        while (end < INFO_SIZE && info[end] != 0) end++;
        return new Identity(new String(info, IDENTITY_OFFSET, end - IDENTITY_OFFSET, StandardCharsets.US_ASCII),
                in.getInt(0), in.getInt(4));
    }

    /** Asks for {@code seconds}; returns what the driver set, which may differ (its granularity, its limits). */
    public int setTimeout(int seconds) throws PosixException {
        byte[] value = intBytes(seconds);
        check(LibC.ioctl(fd, WDIOC_SETTIMEOUT, value), "WDIOC_SETTIMEOUT " + seconds);
        return ByteBuffer.wrap(value).order(ByteOrder.nativeOrder()).getInt();
    }

    public int timeout() throws PosixException {
        byte[] value = intBytes(0);
        check(LibC.ioctl(fd, WDIOC_GETTIMEOUT, value), "WDIOC_GETTIMEOUT");
        return ByteBuffer.wrap(value).order(ByteOrder.nativeOrder()).getInt();
    }

    /** Pets it: the timeout starts again. */
    public void keepAlive() throws PosixException {
        check(LibC.ioctl(fd, WDIOC_KEEPALIVE, intBytes(0)), "WDIOC_KEEPALIVE");
    }

    /** The driver's description; {@code options} are its WDIOF_* flags. */
    public record Identity(String name, int options, int firmwareVersion) {}

    private void check(int result, String call) throws PosixException {
        if (result < 0) {
            int errno = LibC.errno();
            throw new PosixException(errno, Errno.message("ioctl", path + " " + call, LibC.strerror(errno), errno));
        }
    }

    private static byte[] intBytes(int value) {
        return ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.nativeOrder()).putInt(value).array();
    }

    private static long ioctl(int direction, int number, int size) {
        return ((long) direction << 30) | ((long) size << 16) | ('W' << 8) | number;
    }
}
