package jinit.supervisor;

import jinit.api.ExitStatus;
import jinit.api.FdSpec;
import jinit.api.Job;
import jinit.api.JobSpec;
import jinit.api.JobState;
import jinit.supervisor.JobException.Reason;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Random sequences of API actions and process exits, run against the supervisor with a simulated
 * process table and checked step by step against a plain model of what the API promises.
 */
class SupervisorProperties {

    sealed interface Action {
        record Post(String exec) implements Action {}
        record Put(String id, String exec) implements Action {}
        record Signal(String id, int signal) implements Action {}
        record Delete(String id) implements Action {}
        /** The process behind the n-th live pid (modulo the count) ends. */
        record Exit(int which, int code) implements Action {}
        /** The reaper reports a process no job owns. */
        record Orphan() implements Action {}
    }

    /** What the model knows about a job. */
    record ModelJob(boolean running, Integer exitCode) {}

    private static final List<String> IDS = List.of("a", "b", "c", "web", "db");
    private static final List<String> EXECS = List.of("/bin/sleep", "/bin/sleep", "/bin/sleep",
            SimulatedProcesses.MISSING, SimulatedProcesses.EXITS_AT_ONCE);

    @Provide
    Arbitrary<List<Action>> actions() {
        Arbitrary<String> ids = Arbitraries.of(IDS);
        Arbitrary<String> execs = Arbitraries.of(EXECS);
        Arbitrary<Action> action = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, execs.map(Action.Post::new)),
                net.jqwik.api.Tuple.of(4, Combinators.combine(ids, execs).as(Action.Put::new)),
                net.jqwik.api.Tuple.of(3, Combinators.combine(ids, Arbitraries.of(1, 9, 15, 10)).as(Action.Signal::new)),
                net.jqwik.api.Tuple.of(3, ids.map(Action.Delete::new)),
                net.jqwik.api.Tuple.of(5, Combinators.combine(Arbitraries.integers().between(0, 20), Arbitraries.integers().between(0, 2)).as(Action.Exit::new)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(new Action.Orphan())));
        return action.list().ofMinSize(1).ofMaxSize(60);
    }

    /** Small, so that random sequences fill the table and meet 507s. */
    private static final int TABLE_CAPACITY = 8;

    @Property(tries = 300)
    void theTableAlwaysMatchesTheModel(@ForAll("actions") List<Action> actions) throws Exception {
        SimulatedProcesses processes = new SimulatedProcesses();
        ManualTime time = new ManualTime();
        Supervisor supervisor = new Supervisor(processes, time, time, TABLE_CAPACITY, new EventLog(EventLog.DEFAULT_HISTORY));
        processes.attach(supervisor);
        Map<String, ModelJob> model = new LinkedHashMap<>();
        long expectedOrphans = 0;
        int nextOrphanPid = 1_000_000;

        for (Action action : actions) {
            switch (action) {
                case Action.Post(String exec) -> {
                    // The table is looked at first (a share is reserved), before the program is looked for.
                    boolean full = model.size() >= TABLE_CAPACITY;
                    try {
                        Job job = supervisor.start(JobSpec.of(exec), Caller.ROOT);
                        assertFalse(full, "a full table takes no new job");
                        assertFalse(exec.equals(SimulatedProcesses.MISSING), "a missing program must not start");
                        assertFalse(model.containsKey(job.id()), "generated id " + job.id() + " collides");
                        model.put(job.id(), startedModel(exec));
                    } catch (JobException e) {
                        if (full) {
                            assertEquals(Reason.FULL, e.reason());
                        } else {
                            assertEquals(Reason.CANNOT_START, e.reason());
                            assertEquals(SimulatedProcesses.MISSING, exec);
                        }
                    }
                }
                case Action.Put(String id, String exec) -> {
                    ModelJob before = model.get(id);
                    // Replacing an ended job takes no new row, so only a new id can find the table full.
                    boolean full = before == null && model.size() >= TABLE_CAPACITY;
                    try {
                        supervisor.put(id, JobSpec.of(exec), Caller.ROOT);
                        assertTrue(before == null || !before.running(), "PUT over a running job must be refused");
                        assertFalse(full, "a full table takes no new id");
                        assertFalse(exec.equals(SimulatedProcesses.MISSING));
                        model.remove(id); // a fresh start moves to the end of the list
                        model.put(id, startedModel(exec));
                    } catch (JobException e) {
                        if (before != null && before.running()) assertEquals(Reason.CONFLICT, e.reason());
                        else if (full) assertEquals(Reason.FULL, e.reason());
                        else assertEquals(Reason.CANNOT_START, e.reason());
                    }
                }
                case Action.Signal(String id, int signal) -> {
                    int sentBefore = processes.signals.size();
                    try {
                        supervisor.signal(id, signal, Caller.ROOT);
                        assertTrue(model.get(id).running());
                        assertEquals(sentBefore + 1, processes.signals.size());
                    } catch (JobException e) {
                        assertEquals(model.containsKey(id) ? Reason.CONFLICT : Reason.NOT_FOUND, e.reason());
                        assertEquals(sentBefore, processes.signals.size(), "no kill() for a job that is not running");
                    }
                }
                case Action.Delete(String id) -> {
                    try {
                        supervisor.delete(id, Caller.ROOT);
                        assertFalse(model.get(id).running(), "DELETE only when ended");
                        model.remove(id);
                    } catch (JobException e) {
                        assertEquals(model.containsKey(id) ? Reason.CONFLICT : Reason.NOT_FOUND, e.reason());
                    }
                }
                case Action.Exit(int which, int code) -> {
                    List<Integer> live = processes.livePids();
                    if (live.isEmpty()) break;
                    int pid = live.get(which % live.size());
                    String owner = ownerOf(supervisor, pid);
                    processes.exit(pid, new ExitStatus.Code(code));
                    assertEquals(expectedOrphans, supervisor.orphansReaped(), "every live pid belongs to a job");
                    model.put(owner, new ModelJob(false, code));
                }
                case Action.Orphan() -> {
                    supervisor.childExited(nextOrphanPid++, new ExitStatus.Code(0), () -> {});
                    expectedOrphans++;
                }
            }
            processes.awaitEarlyReporters();
            checkInvariants(supervisor, processes, model);
        }
        assertEquals(expectedOrphans, supervisor.orphansReaped());
    }

    private static ModelJob startedModel(String exec) {
        // The simulated program that exits at once has always been reaped by the time we look.
        return exec.equals(SimulatedProcesses.EXITS_AT_ONCE) ? new ModelJob(false, 3) : new ModelJob(true, null);
    }

    private static String ownerOf(Supervisor supervisor, int pid) {
        return supervisor.list().stream()
                .filter(job -> job.state() instanceof JobState.Running(int running) && running == pid)
                .map(Job::id).findFirst().orElseThrow(() -> new AssertionError("pid " + pid + " has no job"));
    }

    private static void checkInvariants(Supervisor supervisor, SimulatedProcesses processes, Map<String, ModelJob> model) {
        if (!processes.violations.isEmpty()) fail(processes.violations.toString());
        List<Job> jobs = supervisor.list();
        assertEquals(List.copyOf(model.keySet()), jobs.stream().map(Job::id).toList(), "ids, in start order");
        Set<Integer> runningPids = new HashSet<>();
        for (Job job : jobs) {
            ModelJob expected = model.get(job.id());
            switch (job.state()) {
                case JobState.Running(int pid) -> {
                    assertTrue(expected.running(), job.id() + " should have ended");
                    assertTrue(runningPids.add(pid), "one live process per pid");
                    assertTrue(processes.livePids().contains(pid), "a running job's pid is not reaped");
                }
                case JobState.Backoff b -> fail("no restart policy, yet " + job.id() + " is in backoff");
                case JobState.Exited(ExitStatus exit, Instant at, boolean gaveUp) -> {
                    assertFalse(expected.running(), job.id() + " should be running");
                    assertEquals(new ExitStatus.Code(expected.exitCode()), exit, "the exit recorded once, on its owner");
                    assertNotNull(at);
                }
            }
        }
        // One live process per id at most, and none that the table has lost track of.
        assertEquals(Set.copyOf(processes.livePids()), runningPids);
        // What was opened for a job is closed once the job is gone, or never was (a failed start).
        Set<String> ids = new HashSet<>(jobs.stream().map(Job::id).toList());
        assertTrue(ids.containsAll(processes.held), () -> "held for jobs that are gone: " + processes.held + " vs " + ids);
    }

    /** A start by {@code uid} (0: an admin), or the deletion of the {@code which}-th job. */
    sealed interface ShareAction {
        record Start(int uid, int sockets) implements ShareAction {}

        record Delete(int which) implements ShareAction {}
    }

    @Provide
    Arbitrary<List<ShareAction>> shareActions() {
        Arbitrary<Integer> uids = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, Arbitraries.just(0)),
                net.jqwik.api.Tuple.of(4, Arbitraries.integers().between(1, 20)));
        Arbitrary<Integer> sockets = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.just(0)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(1, 40)));
        Arbitrary<ShareAction> start = Combinators.combine(uids, sockets).as(ShareAction.Start::new);
        Arbitrary<ShareAction> delete = Arbitraries.integers().between(0, 100).map(ShareAction.Delete::new);
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(4, start), net.jqwik.api.Tuple.of(1, delete))
                .list().ofMinSize(1).ofMaxSize(120);
    }

    /**
     * Each non-admin uid holds at most a sixteenth of the table and 64 listening sockets, all of them together leave a
     * sixteenth of the table to admin, and admin alone may fill it: checked against a count of rows per owner.
     */
    @Property(tries = 300)
    void sharesBoundEachUserAndKeepRoomForAdmin(@ForAll("shareActions") List<ShareAction> actions) throws Exception {
        int capacity = 64; // 4 per user, 4 kept for admin
        SimulatedProcesses processes = new SimulatedProcesses();
        ManualTime time = new ManualTime();
        Supervisor supervisor = new Supervisor(processes, time, time, capacity, new EventLog(EventLog.DEFAULT_HISTORY));
        processes.attach(supervisor);
        Map<String, Integer> owners = new LinkedHashMap<>();
        Map<String, Integer> socketsOf = new LinkedHashMap<>();
        for (ShareAction action : actions) {
            switch (action) {
                case ShareAction.Start(int uid, int sockets) -> {
                    Caller caller = uid == 0 ? Caller.ROOT : new Caller(uid, false);
                    long own = owners.values().stream().filter(o -> o == uid).count();
                    int ownSockets = owners.keySet().stream().filter(id -> owners.get(id) == uid).mapToInt(socketsOf::get).sum();
                    long users = owners.values().stream().filter(o -> o != 0).count();
                    Reason expected = owners.size() >= capacity ? Reason.FULL
                            : uid == 0 ? null
                            : own >= capacity / 16 || ownSockets + sockets > Shares.SOCKETS_PER_USER ? Reason.OVER_SHARE
                            : users >= capacity - capacity / 16 ? Reason.FULL
                            : null;
                    List<FdSpec> fds = new ArrayList<>();
                    for (int i = 0; i < sockets; i++) fds.add(new FdSpec.Listen("tcp://127.0.0.1:" + (2000 + i), "s"));
                    JobSpec spec = JobSpec.of("sleep");
                    spec = new JobSpec(spec.exec(), spec.args(), spec.cwd(), spec.envs(), spec.user(), spec.group(),
                            spec.restart(), spec.stdio(), spec.logBytes(), fds, spec.stopTimeout());
                    try {
                        Job job = supervisor.start(spec, caller);
                        assertEquals(null, expected, "started, yet the model says " + expected);
                        owners.put(job.id(), uid);
                        socketsOf.put(job.id(), sockets);
                    } catch (JobException e) {
                        assertEquals(expected, e.reason(), e.getMessage());
                    }
                }
                case ShareAction.Delete(int which) -> {
                    if (owners.isEmpty()) break;
                    String id = List.copyOf(owners.keySet()).get(which % owners.size());
                    supervisor.stop(id, 0, Caller.ROOT);
                    int pid = processes.livePids().stream().filter(p -> ownerOf(supervisor, p).equals(id)).findFirst().orElseThrow();
                    processes.exit(pid, new ExitStatus.Code(0));
                    supervisor.delete(id, Caller.ROOT);
                    owners.remove(id);
                    socketsOf.remove(id);
                }
            }
            assertEquals(List.copyOf(owners.keySet()), supervisor.list().stream().map(Job::id).toList());
        }
    }

    @Property(tries = 50)
    void generatedIdsNeverCollideWithChosenOnes(@ForAll @Size(max = 30) List<@IntRange(min = 1, max = 40) Integer> chosen)
            throws Exception {
        SimulatedProcesses processes = new SimulatedProcesses();
        ManualTime time = new ManualTime();
        Supervisor supervisor = new Supervisor(processes, time, time, 4096, new EventLog(EventLog.DEFAULT_HISTORY));
        processes.attach(supervisor);
        for (int n : chosen) {
            // A client picks ids that look generated; the generator must step around them.
            String id = "sleep-" + n;
            if (supervisor.get(id).isEmpty()) supervisor.put(id, JobSpec.of("/bin/sleep"), Caller.ROOT);
            Set<String> before = new HashSet<>(supervisor.list().stream().map(Job::id).toList());
            Job generated = supervisor.start(JobSpec.of("/bin/sleep"), Caller.ROOT);
            assertFalse(before.contains(generated.id()), "generated " + generated.id() + " already existed");
        }
    }
}
