package jinit.supervisor;

import jinit.api.ExitStatus;
import jinit.api.JobSpec;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A process table in memory, standing in for the kernel. Pids are reused as soon as they are reaped,
 * as a busy kernel may, so a signal sent to a stale pid would hit a stranger: such signals are recorded
 * as violations. Programs are chosen by exec path:
 * <ul>
 *   <li>{@code /missing}: cannot start;</li>
 *   <li>{@code /exits-at-once}: exits (code 3) before {@code start()} returns, reported by another thread;</li>
 *   <li>anything else: runs until {@link #exit} is called.</li>
 * </ul>
 */
final class SimulatedProcesses implements ProcessBackend {
    static final String MISSING = "/missing";
    static final String EXITS_AT_ONCE = "/exits-at-once";

    private Supervisor supervisor;
    /** How many of the next prepare() calls fail, as if the program had been removed. */
    int failNextPrepares;
    private final Deque<Integer> freePids = new ArrayDeque<>();
    private int nextPid = 100;
    /** Started and not yet reaped (zombies included). */
    final Set<Integer> live = new LinkedHashSet<>();
    final Map<Integer, Integer> reapCalls = new HashMap<>();
    final List<String> violations = new ArrayList<>();
    final List<int[]> signals = new ArrayList<>();
    /** Ids that prepare() opened something for (as the real backend's held sockets) and forget() has not closed. */
    final Set<String> held = java.util.concurrent.ConcurrentHashMap.newKeySet();

    void attach(Supervisor supervisor) {
        this.supervisor = supervisor;
    }

    @Override
    public PreparedLaunch prepare(String id, JobSpec spec, JobOutput output) throws LaunchException {
        held.add(id); // even a prepare that fails may have opened something before it did
        if (failNextPrepares > 0) {
            failNextPrepares--;
            throw new LaunchException("cannot start '" + spec.exec() + "': No such file or directory (ENOENT)");
        }
        if (spec.exec().equals(MISSING)) throw new LaunchException("cannot start '" + MISSING + "': No such file or directory (ENOENT)");
        return () -> {
            int pid = freePids.isEmpty() ? nextPid++ : freePids.pollFirst();
            synchronized (live) {
                live.add(pid);
                reapCalls.put(pid, 0);
            }
            if (spec.exec().equals(EXITS_AT_ONCE)) exitBeforeStartReturns(pid);
            return pid;
        };
    }

    /** The reaper thread sees the exit while the spawner is still returning: it must wait for the lock. */
    private void exitBeforeStartReturns(int pid) {
        Thread reaper = Thread.ofPlatform().start(() -> exit(pid, new ExitStatus.Code(3)));
        while (reaper.getState() != Thread.State.WAITING && reaper.isAlive()) Thread.onSpinWait();
        earlyReporters.add(reaper);
    }

    final List<Thread> earlyReporters = new ArrayList<>();

    void awaitEarlyReporters() throws InterruptedException {
        for (Thread thread : earlyReporters) thread.join();
        earlyReporters.clear();
    }

    /** What the reaper does when a process ends. */
    void exit(int pid, ExitStatus status) {
        supervisor.childExited(pid, status, () -> {
            synchronized (live) {
                int calls = reapCalls.merge(pid, 1, Integer::sum);
                if (calls > 1 || !live.remove(pid)) violations.add("pid " + pid + " reaped twice");
                freePids.addLast(pid);
            }
        });
    }

    @Override
    public void forget(String id) {
        held.remove(id);
    }

    @Override
    public void signal(int pid, int signal) {
        synchronized (live) {
            if (!live.contains(Math.abs(pid))) violations.add("signal " + signal + " sent to reaped pid " + pid);
        }
        signals.add(new int[] {pid, signal});
    }

    List<Integer> livePids() {
        synchronized (live) {
            return new ArrayList<>(live);
        }
    }
}
