/**
 * The job table, its state machine, restarts, logs, events and access rules. Talks to processes only through
 * {@link jinit.supervisor.ProcessBackend}, so it can be tested against a simulated one: no native calls.
 */
module jinit.supervisor {
    requires transitive jinit.api;

    exports jinit.supervisor;
}
