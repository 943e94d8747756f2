package jinit.posix;

/** What {@link Posix#reboot} asks the kernel to do (LINUX_REBOOT_CMD_*). */
public enum RebootCommand {
    POWER_OFF(0x4321FEDC),
    RESTART(0x01234567),
    HALT(0xCDEF0123);

    private final int code;

    RebootCommand(int code) {
        this.code = code;
    }

    /** The magic number passed to reboot(2). */
    public int code() {
        return code;
    }
}
