/** PID 1: mounts, loopback, reaping, signals, shutdown, and the wiring of the other modules. */
module jinit.boot {
    requires jinit.posix;
    requires jinit.supervisor;
    requires jinit.http;
    requires jdk.unsupported; // sun.misc.Signal: the only documented way to catch TERM/USR1/USR2/PWR

    exports jinit.boot;
}
