/** Every native call jinit makes: spawning, reaping, signals, credentials, mounts, network and power. */
module jinit.posix {
    requires transitive jinit.api; // plain data: a child ends with an ExitStatus, fd names follow FdSpec's rule, signals are Signal's
    requires org.jnrproject.ffi;
    requires org.jnrproject.jffi;

    exports jinit.posix;
    // jnr-ffi generates the implementations of these interfaces in an unnamed module,
    // so they must be exported to everyone; nothing outside jinit.posix should use them.
    exports jinit.posix.ffi;
}
