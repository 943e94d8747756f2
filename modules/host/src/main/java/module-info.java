/**
 * The adapters that join the supervisor's ports to this system through posix: jobs become processes
 * (PATH, stdio, held sockets, credentials), and accounts come from /etc/passwd and /etc/group.
 */
module jinit.host {
    requires jinit.posix;
    requires transitive jinit.supervisor;

    exports jinit.host;
}
