package jinit.posix;

import com.kenai.jffi.MemoryIO;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import jinit.api.ExitStatus;

/** The {@link Reaper}: one platform thread blocked in waitid(P_ALL, WEXITED | WNOWAIT). */
final class WaitidReaper implements Reaper {
    static final int P_ALL = 0;
    static final int WEXITED = 4;
    static final int WNOWAIT = 0x01000000;
    // siginfo_t is 128 bytes on x86_64 and aarch64; these offsets hold on both.
    static final int SIGINFO_SIZE = 128;
    private static final int SI_CODE = 8;
    static final int SI_PID = 16;
    private static final int SI_STATUS = 24;
    private static final int CLD_EXITED = 1;
    private static final int CLD_KILLED = 2;
    private static final int CLD_DUMPED = 3;
    // Spawner.spawn wakes us at once; the timeout only covers children nobody announced.
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final MemoryIO MEMORY = LibC.memory();

    private volatile Thread thread;

    @Override
    public synchronized void start(ChildExitListener listener) {
        if (thread != null) {
            throw new IllegalStateException("the reaper is already running");
        }
        // Native memory for the reaper thread, which runs as long as the JVM: it is never freed.
        long siginfo = LibC.allocate(SIGINFO_SIZE, true);
        thread = Thread.ofPlatform().name("jinit-reaper").daemon(true).unstarted(() -> run(listener, siginfo));
        thread.start();
    }

    @Override
    public void childrenMayExist() {
        Thread t = thread;
        if (t != null) {
            // The permit outlives a wake-up that comes before the reaper parks, so none is lost.
            LockSupport.unpark(t);
        }
    }

    private void run(ChildExitListener listener, long siginfo) {
        while (true) {
            try {
                reapNext(listener, siginfo);
            } catch (Throwable t) {
                // PID 1 must keep reaping whatever happens, or zombies pile up for good.
                System.err.println("jinit-reaper: " + t);
                t.printStackTrace();
                LockSupport.parkNanos(this, IDLE_NANOS);
            }
        }
    }

    private void reapNext(ChildExitListener listener, long siginfo) {
        MEMORY.putInt(siginfo + SI_PID, 0);
        if (LibC.waitid(P_ALL, 0, siginfo, WEXITED | WNOWAIT) != 0) {
            int errno = LibC.errno();
            switch (errno) {
                case Errno.ECHILD -> LockSupport.parkNanos(this, IDLE_NANOS);
                case Errno.EINTR -> {}
                default -> {
                    System.err.println("jinit-reaper: waitid: " + LibC.strerror(errno) + " (" + Errno.name(errno) + ")");
                    LockSupport.parkNanos(this, IDLE_NANOS);
                }
            }
            return;
        }
        int pid = MEMORY.getInt(siginfo + SI_PID);
        if (pid == 0) {
            return;
        }
        int status = MEMORY.getInt(siginfo + SI_STATUS);
        int code = MEMORY.getInt(siginfo + SI_CODE);
        ChildExit exit = new ChildExit(pid, switch (code) {
            case CLD_EXITED -> new ExitStatus.Code(status);
            case CLD_KILLED -> new ExitStatus.Signaled(status, false);
            case CLD_DUMPED -> new ExitStatus.Signaled(status, true);
            default -> throw new IllegalStateException("waitid reported si_code "
                    + code + " for pid " + pid + " without WSTOPPED or WCONTINUED");
        });
        try {
            listener.childExited(exit);
        } catch (Throwable t) {
            System.err.println("jinit-reaper: listener failed for " + exit + ": " + t);
            t.printStackTrace();
        } finally {
            exit.reap();
        }
    }
}
