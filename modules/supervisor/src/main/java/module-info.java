/** The job table and state machine. Talks to processes only through {@link jinit.supervisor.ProcessBackend}. */
module jinit.supervisor {
    requires transitive jinit.api;

    exports jinit.supervisor;
}
