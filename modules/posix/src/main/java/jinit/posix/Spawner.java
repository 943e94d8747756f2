package jinit.posix;

import java.nio.file.Path;

/** Starts processes. */
public interface Spawner {
    /**
     * Starts {@code request} and returns the child's pid once the child has exec'd (or failed to).
     * Safe to call from any thread, including virtual threads; the caller blocks meanwhile.
     *
     * <p>The child may already have exited when this returns: the reaper holds its exit until the
     * {@link ChildExitListener} claims it, so register the pid under the same lock the listener takes.
     */
    int spawn(SpawnRequest request) throws SpawnException;

    /**
     * As {@link #spawn(SpawnRequest)}, with the child started inside the cgroup directory {@code cgroup}: it is
     * there before the program runs (posix_spawn's CLONE_INTO_CGROUP on glibc 2.41, else jinit-exec joins it before
     * it execs), so nothing the job forks is ever outside it. A failure to join fails the spawn.
     */
    int spawn(SpawnRequest request, Path cgroup) throws SpawnException;
}
