/**
 * Every native call and kernel interface jinit uses: spawning (through jinit-exec, which drops a job's ids in the
 * child), reaping, signals, sockets and who owns a connection, accounts, mounts, network and power.
 */
module jinit.posix {
    requires transitive jinit.api; // plain data: a child ends with an ExitStatus, fd names follow FdSpec's rule, signals are Signal's
    requires org.jnrproject.jffi; // glibc through jffi's low-level API (see LibC)

    exports jinit.posix;
}
