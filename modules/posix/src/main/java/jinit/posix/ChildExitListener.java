package jinit.posix;

/** Told about every child that ended; see {@link Reaper}. */
@FunctionalInterface
public interface ChildExitListener {
    /**
     * Called on the reaper thread for every child that ended. The zombie is still there, so its
     * pid cannot be reused until {@link ChildExit#reap()} is called: take your own lock, call
     * {@code reap()}, then record the exit. A {@code kill} sent under that lock to a pid you have not
     * yet seen exit can therefore never hit a stranger.
     *
     * <p>Because {@link Spawner#spawn} may return after its child already exited, hold the same lock
     * around {@code spawn} and the registration of its pid; this call then waits for the registration.
     */
    void childExited(ChildExit exit);
}
