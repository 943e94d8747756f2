/** PID 1: its duties in the order they happen (mounts, loopback, reaping, signals, the API, the boot job, shutdown), and the wiring of the other modules. */
module jinit.boot {
    requires jinit.posix;
    requires jinit.host;
    requires jinit.http;
    requires jinit.watchdog;
    requires jdk.unsupported; // sun.misc.Signal: the only documented way to catch TERM/USR1/USR2/PWR

    exports jinit.boot;
}
