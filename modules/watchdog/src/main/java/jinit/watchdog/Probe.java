package jinit.watchdog;

/** One part of init that must show progress for the watchdog to be petted. */
public interface Probe {
    /** Short, for the console and GET /system: "reaper", "api", "supervisor". */
    String name();

    /** Null while the part makes progress; otherwise why not, in a few words. May block for its own bound. */
    String stalled() throws InterruptedException;
}
