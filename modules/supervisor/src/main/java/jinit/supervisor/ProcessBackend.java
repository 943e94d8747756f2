package jinit.supervisor;

import jinit.api.JobSpec;
import jinit.api.Usage;

/**
 * How the supervisor reaches processes. The real one spawns with posix_spawn; tests use a simulated
 * process table. Exits come back through {@link Supervisor#childExited}.
 */
public interface ProcessBackend {

    /**
     * Resolves everything about a spec that can fail or take time (the executable, the account, the
     * environment, descriptors to pass) without starting anything. Called without the supervisor's lock,
     * before every start, restarts included.
     *
     * @param output where the job's "log" streams go
     */
    PreparedLaunch prepare(String id, JobSpec spec, JobOutput output) throws LaunchException;

    /**
     * Sends a signal to a pid, or to a process group when negative. The supervisor only calls this for a
     * pid whose exit it has not yet reaped, so the pid cannot have been reused by another process.
     */
    void signal(int pid, int signal) throws LaunchException;

    /** The job is gone for good (deleted or replaced): close what was held for it across restarts. */
    default void forget(String id) {}

    /**
     * Whether the job's last start gave it a terminal (or the console) as stdin, stdout or stderr. A stop then sends
     * HUP and CONT along with TERM, as systemd's {@code SendSIGHUP=} does for sessions: an interactive shell ignores
     * TERM but not a hangup.
     */
    default boolean onTerminal(String id) {
        return false;
    }

    /**
     * Kills every process in the job's cgroup (cgroup.kill), setsid ones included, and returns true; false when
     * the job has no cgroup (cgroups unavailable), so the caller signals the process group instead.
     */
    default boolean killTree(String id) {
        return false;
    }

    /** What the job's cgroup counts now, or null without cgroups. Called for a running job, under no lock. */
    default Usage usage(String id) {
        return null;
    }

    /**
     * Whether the kernel's OOM killer killed a process of the job since its last start (its cgroup's oom_kill count
     * rose). Called once the job's process has ended.
     */
    default boolean oomKilled(String id) {
        return false;
    }

    /**
     * The job has ended and no restart is pending. What its runs shared may go while the row stays (an empty cgroup:
     * the kernel's memory for it is worth more than a directory kept for a DELETE), but nothing a restart or a
     * replacement would need ({@link #forget} is for that). Called under the supervisor's lock: must be quick.
     */
    default void ended(String id) {}

    /** A launch that is ready to go. */
    interface PreparedLaunch {
        /**
         * Starts the process and returns its pid. Called with the supervisor's lock held, so a report of
         * this pid's exit waits until the job is registered, even when the process dies at once.
         */
        int start() throws LaunchException;
    }

    /** The receiving end of a job's captured output. Calls come from the backend's reading thread. */
    interface JobOutput {
        /** A pipe for this job was opened; called before the process starts. */
        void streamOpened();

        /** The bytes are {@code data[offset..offset+length)}, lent for the call only: the receiver copies what it keeps. */
        void write(LogRing.Stream stream, byte[] data, int offset, int length);

        /** A pipe reached end of file: everything it carried has been written. */
        void streamClosed();
    }
}
