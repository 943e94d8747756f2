package jinit.api;

/** A descriptor init opens before the spawn and passes to the job as fd 3, 4, … in order. */
public sealed interface FdSpec {
    /** {@link #isValidName}'s rule, as error messages state it. */
    String NAME_RULE = "1 to 255 printable ASCII characters (space included) other than ':'";

    /** The name the job sees in LISTEN_FDNAMES. */
    String name();

    /** A socket: "tcp://HOST:PORT", "udp://HOST:PORT" or "unix:/path". Stays open in init across restarts. */
    record Listen(String uri, String name) implements FdSpec {}

    /** A file opened with mode "r", "w", "a" or "rw". Opened afresh for each start. */
    record File(String path, String mode, String name) implements FdSpec {}

    /**
     * Whether {@code name} may stand in LISTEN_FDNAMES: systemd's own rule for FileDescriptorName= (its
     * fdname_is_valid), ASCII from space to '~' except ':', which separates the names, and at most 255 of them.
     * systemd lets an empty name through as well; here a name has at least one character, as "unknown" is
     * what a job without one is given.
     */
    static boolean isValidName(String name) {
        if (name == null || name.isEmpty() || name.length() > 255) return false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < ' ' || c > '~' || c == ':') return false;
        }
        return true;
    }
}
