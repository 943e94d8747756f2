package jinit.supervisor;

import jinit.api.ExitStatus;
import jinit.api.Job;
import jinit.api.JobSpec;
import jinit.api.JobState;
import jinit.api.Readiness;
import jinit.api.Restart;
import jinit.api.Signal;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Readiness and the per-job watchdog on the simulated process table and clock: random sequences of starts,
 * notifications (from the job's group and from strangers), ready fds, exits, stops and the passing of time, checked
 * against what the API promises: ready only while running and only after running, never after an exit, one ABRT per
 * process, and a watchdog kill counted as exactly one failure.
 */
class ReadinessProperties {

    sealed interface Action {
        record Start(String id, Readiness readiness, Restart.Policy policy) implements Action {}

        /** A datagram from the job's own group ({@code stranger} false) or from a process of no job. */
        record Notify(String id, String message, boolean stranger) implements Action {}

        record FdNewline(String id) implements Action {}

        /** The job's process ends; if init signalled it, by that signal or by code 0 (it caught it), else by code. */
        record Exit(String id, int code, boolean caught) implements Action {}

        record Stop(String id) implements Action {}

        record Advance(long millis) implements Action {}
    }

    private static final List<String> IDS = List.of("a", "b");
    private static final List<String> MESSAGES = List.of("READY=1", "WATCHDOG=1", "STATUS=busy", "READY=1\nSTATUS=up",
            "STOPPING=1", "MAINPID=1", "READY=0", "", "WATCHDOG=1\nWATCHDOG=1", "garbage");

    @Provide
    Arbitrary<List<Action>> actions() {
        Arbitrary<String> ids = Arbitraries.of(IDS);
        Arbitrary<Readiness.Protocol> protocols = Arbitraries.of(new Readiness.Protocol.Running(),
                new Readiness.Protocol.Notify(), new Readiness.Protocol.Fd(3), new Readiness.Protocol.Fd(7));
        Arbitrary<Long> timeouts = Arbitraries.of(0L, 0L, 50L, 300L);
        Arbitrary<Readiness> readiness = Combinators.combine(protocols, timeouts, timeouts).as((protocol, timeout, watchdog) ->
                new Readiness(protocol, protocol instanceof Readiness.Protocol.Running ? 0 : timeout,
                        protocol instanceof Readiness.Protocol.Notify ? watchdog : 0));
        Arbitrary<Action> action = Arbitraries.frequencyOf(
                Tuple.of(3, Combinators.combine(ids, readiness, Arbitraries.of(Restart.Policy.class)).as(Action.Start::new)),
                Tuple.of(6, Combinators.combine(ids, Arbitraries.of(MESSAGES), Arbitraries.of(false, false, true)).as(Action.Notify::new)),
                Tuple.of(2, ids.map(Action.FdNewline::new)),
                Tuple.of(2, Combinators.combine(ids, Arbitraries.integers().between(0, 2), Arbitraries.of(true, false)).as(Action.Exit::new)),
                Tuple.of(1, ids.map(Action.Stop::new)),
                Tuple.of(4, Arbitraries.longs().between(0, 400).map(Action.Advance::new)));
        return action.list().ofMinSize(1).ofMaxSize(80);
    }

    @Property(tries = 400)
    void readyOnlyWhileRunningAfterRunningAndNeverAfterAnExit(@ForAll("actions") List<Action> actions) throws Exception {
        SimulatedProcesses processes = new SimulatedProcesses();
        ManualTime time = new ManualTime();
        EventLog events = new EventLog(EventLog.DEFAULT_HISTORY);
        Supervisor supervisor = new Supervisor(processes, time, time, 16, events);
        processes.attach(supervisor);
        /** Per live pid, how many ABRTs init sent its group, and the last signal it sent. */
        Map<Integer, Integer> abrts = new HashMap<>();
        Map<Integer, Integer> lastSignal = new HashMap<>();
        int strangerPid = 1_000_000;

        for (Action action : actions) {
            switch (action) {
                case Action.Start(String id, Readiness readiness, Restart.Policy policy) -> {
                    Job existing = supervisor.get(id).orElse(null);
                    if (existing != null && !existing.ended()) break;
                    JobSpec spec = new JobSpec("/bin/sleep", List.of(), "/", null, null, null, Restart.withPolicy(policy),
                            jinit.api.Stdio.DEFAULT, JobSpec.DEFAULT_LOG_BYTES, List.of(), 200, readiness);
                    Job started = supervisor.put(id, spec, Caller.ROOT);
                    assertEquals(!readiness.announced(), started.ready(), "ready at start only without a protocol");
                }
                case Action.Notify(String id, String message, boolean stranger) -> {
                    int pid = pidOf(supervisor, id);
                    if (stranger) supervisor.notified(strangerPid, strangerPid++, message);
                    else if (pid > 0) supervisor.notified(pid + 50_000, pid, message); // a child in the job's group
                }
                case Action.FdNewline(String id) -> {
                    int pid = pidOf(supervisor, id);
                    if (pid > 0) supervisor.readyByFd(pid);
                }
                case Action.Exit(String id, int code, boolean caught) -> {
                    int pid = pidOf(supervisor, id);
                    if (pid <= 0) break;
                    Integer signal = lastSignal.remove(pid);
                    abrts.remove(pid); // the pid may be reused by the next process
                    ExitStatus status = signal == null || caught ? new ExitStatus.Code(code) : new ExitStatus.Signaled(signal, false);
                    processes.exit(pid, status);
                    Job after = supervisor.get(id).orElseThrow();
                    assertFalse(after.ready(), "ready after an exit: " + after);
                }
                case Action.Stop(String id) -> {
                    if (supervisor.get(id).isPresent()) supervisor.stop(id, 200, Caller.ROOT);
                }
                case Action.Advance(long millis) -> time.advance(millis);
            }
            for (int[] sent : processes.signals) {
                lastSignal.put(Math.abs(sent[0]), sent[1]);
                if (sent[1] == Signal.ABRT) abrts.merge(Math.abs(sent[0]), 1, Integer::sum);
            }
            processes.signals.clear();
            abrts.forEach((pid, count) -> assertTrue(count <= 1, "pid " + pid + " got ABRT " + count + " times"));
            if (!processes.violations.isEmpty()) fail(processes.violations.toString());
            for (Job job : supervisor.list()) {
                if (job.ready()) assertInstanceOf(JobState.Running.class, job.state(), "ready but not running: " + job);
                if (job.ready()) assertNotNull(job.readyAt());
                if (job.watchdogExit()) assertFalse(job.running(), "a watchdog exit on a running job: " + job);
                if (job.status() != null) assertInstanceOf(Readiness.Protocol.Notify.class, job.spec().readiness().protocol());
            }
        }
        checkEventOrder(events.since(0, 0));
    }

    /** Per job: a ready event only after a running one, at most one per process, never after an exit. */
    private static void checkEventOrder(List<EventLog.Event> all) {
        Map<String, String> last = new HashMap<>();
        for (EventLog.Event event : all) {
            String before = last.get(event.id());
            if (event.state().equals("ready")) {
                assertEquals("running", before, "ready after " + before + " for " + event.id() + ": " + all);
                assertTrue(event.job().running() && event.job().ready(), event.toString());
            }
            last.put(event.id(), event.state());
        }
    }

    private static int pidOf(Supervisor supervisor, String id) {
        return supervisor.get(id).map(job -> job.state() instanceof JobState.Running(int pid) ? pid : -1).orElse(-1);
    }

    /** How a process whose watchdog fired ends: by the ABRT, by catching it and exiting 0, or only at the KILL. */
    enum Ending { ABRT, CAUGHT, KILLED }

    /**
     * A job that becomes ready, pets its watchdog a while and then falls silent, again and again: each silence costs
     * exactly one ABRT, one exit marked {@code watchdog}, and one failure for the restart policy (however the process
     * ends, even with code 0), until the burst is spent.
     */
    @Property(tries = 200)
    void aWatchdogKillCountsAsExactlyOneFailure(@ForAll @IntRange(min = 1, max = 6) int burst,
                                                @ForAll("endings") List<Ending> endings,
                                                @ForAll @IntRange(min = 0, max = 5) int pets) throws Exception {
        SimulatedProcesses processes = new SimulatedProcesses();
        ManualTime time = new ManualTime();
        Supervisor supervisor = new Supervisor(processes, time, time, 16, new EventLog(EventLog.DEFAULT_HISTORY));
        processes.attach(supervisor);
        long watchdog = 1_000, stopTimeout = 500;
        Restart restart = new Restart(Restart.Policy.ON_FAILURE, 100, 100, 1.0, 10_000, burst, 3_600_000);
        JobSpec spec = new JobSpec("/bin/sleep", List.of(), "/", null, null, null, restart, jinit.api.Stdio.DEFAULT,
                JobSpec.DEFAULT_LOG_BYTES, List.of(), stopTimeout, new Readiness(new Readiness.Protocol.Notify(), 0, watchdog));
        supervisor.put("w", spec, Caller.ROOT);
        int failures = 0;
        for (Ending ending : endings) {
            processes.signals.clear(); // pids are reused: count this process's signals only
            int pid = pidOf(supervisor, "w");
            assertTrue(pid > 0, "running again after " + failures + " failures");
            supervisor.notified(pid, pid, "READY=1");
            for (int i = 0; i < pets; i++) {
                time.advance(watchdog - 1);
                supervisor.notified(pid, pid, "WATCHDOG=1");
            }
            assertTrue(abrtsTo(processes, pid) == 0, "petted in time, yet ABRT");
            time.advance(watchdog);
            assertEquals(1, abrtsTo(processes, pid), "one ABRT once silent for the watchdog's time");
            switch (ending) {
                case ABRT -> processes.exit(pid, new ExitStatus.Signaled(Signal.ABRT, true));
                case CAUGHT -> processes.exit(pid, new ExitStatus.Code(0));
                case KILLED -> {
                    time.advance(stopTimeout);
                    assertTrue(processes.signals.stream().anyMatch(s -> s[0] == -pid && s[1] == Signal.KILL), "KILL after the stop timeout");
                    processes.exit(pid, new ExitStatus.Signaled(Signal.KILL, false));
                }
            }
            assertEquals(1, abrtsTo(processes, pid), "still one ABRT for this process");
            failures++;
            Job ended = supervisor.get("w").orElseThrow();
            assertTrue(ended.watchdogExit(), ended.toString());
            assertFalse(ended.ready());
            if (failures > burst) {
                assertTrue(assertInstanceOf(JobState.Exited.class, ended.state()).gaveUp(), "gives up after the burst");
                assertEquals(burst, ended.restarts());
                return;
            }
            assertInstanceOf(JobState.Backoff.class, ended.state(), "a failure, whatever the exit: " + ended);
            time.advance(100);
            Job again = supervisor.get("w").orElseThrow();
            assertEquals(failures, again.restarts(), "one restart per watchdog kill");
            assertFalse(again.watchdogExit());
            assertFalse(again.ready(), "a restarted notify job is not ready until it says so");
            assertNull(again.readyAt());
        }
    }

    @Provide
    Arbitrary<List<Ending>> endings() {
        return Arbitraries.of(Ending.class).list().ofMinSize(1).ofMaxSize(8);
    }

    private static int abrtsTo(SimulatedProcesses processes, int pid) {
        return (int) processes.signals.stream().filter(s -> Math.abs(s[0]) == pid && s[1] == Signal.ABRT).count();
    }

    /**
     * resetAfter counts from ready: a notify job that runs long but becomes ready late (or never) keeps its backoff
     * growing, where the same uptime after ready resets it.
     */
    @Property(tries = 100)
    void resetAfterCountsFromReady(@ForAll @IntRange(min = 0, max = 20_000) int readyAfter) throws Exception {
        SimulatedProcesses processes = new SimulatedProcesses();
        ManualTime time = new ManualTime();
        Supervisor supervisor = new Supervisor(processes, time, time, 16, new EventLog(EventLog.DEFAULT_HISTORY));
        processes.attach(supervisor);
        Restart restart = new Restart(Restart.Policy.ALWAYS, 100, 100_000, 2.0, 10_000, 100, 3_600_000);
        JobSpec spec = new JobSpec("/bin/sleep", List.of(), "/", null, null, null, restart, jinit.api.Stdio.DEFAULT,
                JobSpec.DEFAULT_LOG_BYTES, List.of(), 100, new Readiness(new Readiness.Protocol.Notify(), 0, 0));
        supervisor.put("r", spec, Caller.ROOT);
        // Two quick failures make the next delay 400 ms.
        for (int i = 0; i < 2; i++) {
            processes.exit(pidOf(supervisor, "r"), new ExitStatus.Code(1));
            time.runAll();
        }
        int pid = pidOf(supervisor, "r");
        time.advance(readyAfter);
        supervisor.notified(pid, pid, "READY=1");
        time.advance(12_000); // up 12 s after ready, 12 s + readyAfter after the start
        processes.exit(pid, new ExitStatus.Code(1));
        JobState.Backoff backoff = assertInstanceOf(JobState.Backoff.class, supervisor.get("r").orElseThrow().state());
        long delay = backoff.nextStartAt().toEpochMilli() - backoff.exitedAt().toEpochMilli();
        assertEquals(100, delay, "12 s of ready uptime resets the backoff, however late it was ready");
        // The same run without READY=1 never resets it.
        time.runAll();
        int next = pidOf(supervisor, "r");
        time.advance(30_000);
        processes.exit(next, new ExitStatus.Code(1));
        JobState.Backoff unready = assertInstanceOf(JobState.Backoff.class, supervisor.get("r").orElseThrow().state());
        assertEquals(200, unready.nextStartAt().toEpochMilli() - unready.exitedAt().toEpochMilli(),
                "a process never ready has no uptime for resetAfter");
    }
}
