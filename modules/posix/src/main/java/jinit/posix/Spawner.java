package jinit.posix;

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
}
