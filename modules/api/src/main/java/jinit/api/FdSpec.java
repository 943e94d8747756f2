package jinit.api;

/** A descriptor init opens before the spawn and passes to the job as fd 3, 4, … in order. */
public sealed interface FdSpec {
    /** The name the job sees in LISTEN_FDNAMES. */
    String name();

    /** A socket: "tcp://HOST:PORT", "udp://HOST:PORT" or "unix:/path". Stays open in init across restarts. */
    record Listen(String uri, String name) implements FdSpec {}

    /** A file opened with mode "r", "w", "a" or "rw". Opened afresh for each start. */
    record File(String path, String mode, String name) implements FdSpec {}
}
