package jinit.posix;

/**
 * Collects every child of this process, including orphans reparented to it as PID 1 or subreaper.
 *
 * <p>The reaper waits with WNOWAIT: a child's exit is reported while it is still a zombie, and its
 * pid is only released when the listener (or, after it, the reaper) reaps it. So a pid the
 * supervisor has not seen exit is never reused, and an exit that happens before {@link Spawner#spawn}
 * returns is held until the supervisor has registered the pid.
 */
public interface Reaper {
    /** Starts the platform thread "jinit-reaper" that reports every exit to {@code listener}. Once only. */
    void start(ChildExitListener listener);

    /** Wakes the reaper while it idles without children; {@link Spawner#spawn} already calls this. */
    void childrenMayExist();
}
