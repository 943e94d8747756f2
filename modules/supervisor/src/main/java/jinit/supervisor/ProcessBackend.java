package jinit.supervisor;

import jinit.api.JobSpec;

/**
 * How the supervisor reaches processes. The real one spawns with posix_spawn; tests use a simulated
 * process table. Exits come back through {@link Supervisor#childExited}.
 */
public interface ProcessBackend {

    /**
     * Resolves everything about a spec that can fail or take time (the executable, the account, the
     * environment) without starting anything. Called without the supervisor's lock.
     */
    PreparedLaunch prepare(String id, JobSpec spec) throws LaunchException;

    /**
     * Sends a signal. The supervisor only calls this for a pid whose exit it has not yet reaped, so the
     * pid cannot have been reused by another process.
     */
    void signal(int pid, int signal) throws LaunchException;

    /** A launch that is ready to go. */
    interface PreparedLaunch {
        /**
         * Starts the process and returns its pid. Called with the supervisor's lock held, so a report of
         * this pid's exit waits until the job is registered, even when the process dies at once.
         */
        int start() throws LaunchException;
    }
}
