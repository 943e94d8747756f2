/**
 * The hardware watchdog: it opens the device and pets it only while the reaper, the API and the supervisor's lock
 * all show progress, so a hung init (or a hung shutdown) resets the board.
 */
module jinit.watchdog {
    requires jinit.posix;
    requires jinit.supervisor;

    exports jinit.watchdog;
}
