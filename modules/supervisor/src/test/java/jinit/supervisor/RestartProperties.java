package jinit.supervisor;

import jinit.api.ExitStatus;
import jinit.api.Job;
import jinit.api.JobSpec;
import jinit.api.JobState;
import jinit.api.Restart;
import jinit.api.Signal;
import jinit.supervisor.JobException.Reason;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Restart delays and limits, on a simulated clock: no test here sleeps. */
class RestartProperties {

    @Provide
    Arbitrary<Restart> policies() {
        return Combinators.combine(
                Arbitraries.of(Restart.Policy.ON_FAILURE, Restart.Policy.ALWAYS),
                Arbitraries.longs().between(10, 5_000),
                Arbitraries.longs().between(0, 60_000),
                Arbitraries.doubles().between(1.0, 4.0),
                Arbitraries.longs().between(0, 30_000),
                Arbitraries.integers().between(1, 20),
                Arbitraries.longs().between(1, 120_000)
        ).as((policy, delay, extra, factor, resetAfter, burst, window) ->
                new Restart(policy, delay, delay + extra, factor, resetAfter, burst, window));
    }

    /** One process life: how long it ran, then how it ended. */
    record Life(long uptime, int exitCode) {}

    @Provide
    Arbitrary<List<Life>> lives() {
        return Combinators.combine(Arbitraries.longs().between(0, 40_000), Arbitraries.integers().between(0, 2))
                .as(Life::new).list().ofMaxSize(60);
    }

    @Property(tries = 500)
    void delaysStayInBoundsGrowUntilResetAndHonourTheBurst(@ForAll("policies") Restart policy, @ForAll("lives") List<Life> lives) {
        RestartTracker tracker = new RestartTracker(policy);
        long now = 0;
        long previousDelay = 0;
        ArrayDeque<Long> restartTimes = new ArrayDeque<>();
        for (Life life : lives) {
            now += life.uptime();
            ExitStatus exit = new ExitStatus.Code(life.exitCode());
            RestartTracker.Decision decision = tracker.onExit(exit, now, life.uptime(), false, false);
            boolean wanted = policy.policy() == Restart.Policy.ALWAYS || life.exitCode() != 0;
            while (!restartTimes.isEmpty() && restartTimes.peekFirst() <= now - policy.window()) restartTimes.pollFirst();
            switch (decision) {
                case RestartTracker.Decision.Stay() -> {
                    assertTrue(!wanted, "a wanted restart was refused without giving up");
                    return; // the job has ended; nothing more happens to it
                }
                case RestartTracker.Decision.GiveUp() -> {
                    assertTrue(wanted);
                    assertEquals(policy.burst(), restartTimes.size(), "gave up before the burst was spent");
                    return;
                }
                case RestartTracker.Decision.RestartAfter(long delay) -> {
                    assertTrue(wanted, "restarted a job the policy did not ask for");
                    assertTrue(delay >= policy.delay() && delay <= policy.maxDelay(), "delay " + delay + " out of bounds");
                    if (life.uptime() < policy.resetAfter()) {
                        assertTrue(delay >= previousDelay, "delay shrank without a reset: " + previousDelay + " -> " + delay);
                    } else {
                        assertEquals(policy.delay(), delay, "the delay resets after a long enough run");
                    }
                    restartTimes.addLast(now);
                    assertTrue(restartTimes.size() <= policy.burst(), "more restarts in a window than the burst allows");
                    previousDelay = delay;
                    now += delay;
                }
            }
        }
    }

    @Property(tries = 200)
    void aStopOrANoPolicyNeverRestarts(@ForAll("policies") Restart policy, @ForAll @IntRange(min = 0, max = 3) int code) {
        RestartTracker tracker = new RestartTracker(policy);
        assertInstanceOf(RestartTracker.Decision.Stay.class, tracker.onExit(new ExitStatus.Code(code), 0, 0, false, true));
        RestartTracker never = new RestartTracker(Restart.NEVER);
        assertInstanceOf(RestartTracker.Decision.Stay.class, never.onExit(new ExitStatus.Code(code), 0, 0, false, false));
    }

    @Property(tries = 100)
    void onFailureIgnoresSignalsSentThroughTheApi(@ForAll @IntRange(min = 1, max = 31) int signal) {
        RestartTracker tracker = new RestartTracker(Restart.withPolicy(Restart.Policy.ON_FAILURE));
        ExitStatus killed = new ExitStatus.Signaled(signal, false);
        assertInstanceOf(RestartTracker.Decision.Stay.class, tracker.onExit(killed, 0, 0, true, false));
        assertInstanceOf(RestartTracker.Decision.RestartAfter.class, tracker.onExit(killed, 0, 0, false, false));
        assertInstanceOf(RestartTracker.Decision.Stay.class, tracker.onExit(new ExitStatus.Code(0), 0, 0, false, false));
    }

    // ---- the same rules, through the supervisor ----

    private final ManualTime time = new ManualTime();
    private final SimulatedProcesses processes = new SimulatedProcesses();
    private final Supervisor supervisor = new Supervisor(processes, time, time, 4096, new EventLog(EventLog.DEFAULT_HISTORY));

    {
        processes.attach(supervisor);
    }

    private int pidOf(String id) {
        return switch (supervisor.get(id).orElseThrow().state()) {
            case JobState.Running(int pid) -> pid;
            case JobState state -> throw new AssertionError(id + " is " + state.label());
        };
    }

    @Test
    void aCrashLoopBacksOffExponentiallyAndGivesUp() throws Exception {
        Restart policy = new Restart(Restart.Policy.ON_FAILURE, 100, 1_000, 2.0, 10_000, 5, 60_000);
        supervisor.put("loop", restarting("/bin/crash", policy), Caller.ROOT);
        long[] expected = {100, 200, 400, 800, 1000};
        for (int restart = 1; restart <= 5; restart++) {
            processes.exit(pidOf("loop"), new ExitStatus.Code(1));
            Job job = supervisor.get("loop").orElseThrow();
            JobState.Backoff backoff = assertInstanceOf(JobState.Backoff.class, job.state());
            assertEquals(expected[restart - 1], backoff.nextStartAt().toEpochMilli() - backoff.exitedAt().toEpochMilli());
            assertEquals(Reason.CONFLICT, assertThrows(() -> supervisor.signal("loop", Signal.TERM, Caller.ROOT)), "no signal while in backoff");
            time.advance(expected[restart - 1] - 1);
            assertInstanceOf(JobState.Backoff.class, supervisor.get("loop").orElseThrow().state(), "started early");
            time.advance(1);
            assertEquals(restart, supervisor.get("loop").orElseThrow().restarts());
        }
        processes.exit(pidOf("loop"), new ExitStatus.Code(1));
        JobState.Exited exited = assertInstanceOf(JobState.Exited.class, supervisor.get("loop").orElseThrow().state());
        assertTrue(exited.gaveUp());
        time.runAll();
        assertEquals(5, supervisor.get("loop").orElseThrow().restarts());
        assertTrue(processes.livePids().isEmpty());
    }

    @Test
    void stopCancelsABackoffAndEscalatesToKill() throws Exception {
        supervisor.put("svc", restarting("/bin/svc", Restart.withPolicy(Restart.Policy.ALWAYS)), Caller.ROOT);
        processes.exit(pidOf("svc"), new ExitStatus.Code(0));
        assertInstanceOf(JobState.Backoff.class, supervisor.get("svc").orElseThrow().state());
        supervisor.stop("svc", 5_000, Caller.ROOT);
        assertInstanceOf(JobState.Exited.class, supervisor.get("svc").orElseThrow().state());
        time.runAll();
        assertTrue(processes.livePids().isEmpty(), "a stopped job came back");

        supervisor.put("stubborn", restarting("/bin/ignores-term", Restart.withPolicy(Restart.Policy.ALWAYS)), Caller.ROOT);
        int pid = pidOf("stubborn");
        supervisor.stop("stubborn", 3_000, Caller.ROOT);
        assertEquals(List.of(-pid, Signal.TERM), sent(0));
        time.advance(2_999);
        assertEquals(1, processes.signals.size(), "KILL came early");
        time.advance(1);
        assertEquals(List.of(-pid, Signal.KILL), sent(1));
        processes.exit(pid, new ExitStatus.Signaled(Signal.KILL, false));
        time.runAll();
        assertInstanceOf(JobState.Exited.class, supervisor.get("stubborn").orElseThrow().state());
        assertTrue(processes.violations.isEmpty(), processes.violations.toString());
    }

    @Test
    void aRestartThatCannotStartCountsAsAFailure() throws Exception {
        Restart policy = new Restart(Restart.Policy.ON_FAILURE, 100, 100, 1.0, 10_000, 3, 60_000);
        supervisor.put("flaky", restarting("/bin/flaky", policy), Caller.ROOT);
        processes.failNextPrepares = 10;
        processes.exit(pidOf("flaky"), new ExitStatus.Code(1));
        time.runAll();
        Job job = supervisor.get("flaky").orElseThrow();
        JobState.Exited exited = assertInstanceOf(JobState.Exited.class, job.state());
        assertTrue(exited.gaveUp());
        assertEquals(new ExitStatus.Code(1), exited.exit(), "the last real exit is kept");
        assertTrue(job.error().contains("ENOENT"), job.error());
    }

    private List<Integer> sent(int index) {
        int[] signal = processes.signals.get(index);
        return List.of(signal[0], signal[1]);
    }

    private static Reason assertThrows(ThrowingRunnable action) {
        try {
            action.run();
        } catch (JobException e) {
            return e.reason();
        }
        return fail("expected a JobException");
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws JobException;
    }

    @Property(tries = 200)
    void randomExitsStopsAndTimeKeepTheInvariants(@ForAll @Size(max = 80) List<@IntRange(min = 0, max = 5) Integer> steps,
                                                  @ForAll("policies") Restart policy) throws Exception {
        ManualTime clock = new ManualTime();
        SimulatedProcesses table = new SimulatedProcesses();
        Supervisor subject = new Supervisor(table, clock, clock, 4096, new EventLog(64));
        table.attach(subject);
        subject.put("a", restarting("/bin/a", policy), Caller.ROOT);
        subject.put("b", restarting("/bin/b", policy), Caller.ROOT);
        boolean[] stopped = new boolean[2];
        for (int step : steps) {
            String id = step % 2 == 0 ? "a" : "b";
            switch (step) {
                case 0, 1 -> {
                    if (subject.get(id).orElseThrow().state() instanceof JobState.Running(int pid)) {
                        table.exit(pid, new ExitStatus.Code(step));
                    }
                }
                case 2, 3 -> clock.advance(policy.maxDelay() / 2 + 1);
                case 4, 5 -> {
                    subject.stop(id, 1_000, Caller.ROOT);
                    stopped[step % 2] = true;
                    if (subject.get(id).orElseThrow().state() instanceof JobState.Running(int pid)) {
                        table.exit(pid, new ExitStatus.Signaled(Signal.TERM, false));
                    }
                }
                default -> throw new IllegalStateException();
            }
            for (Job job : subject.list()) {
                int index = job.id().equals("a") ? 0 : 1;
                switch (job.state()) {
                    case JobState.Running(int pid) -> {
                        assertTrue(table.livePids().contains(pid));
                        assertTrue(!stopped[index], "a stopped job is running again");
                    }
                    case JobState.Backoff b -> assertTrue(!stopped[index], "a stopped job waits to restart");
                    case JobState.Exited e -> { }
                }
                assertTrue(job.restarts() <= steps.size());
            }
            assertTrue(table.violations.isEmpty(), table.violations.toString());
            assertTrue(table.livePids().size() <= 2, "one live process per job at most");
        }
    }

    /** A job of {@code exec} with this restart policy and every other field at its default. */
    private static JobSpec restarting(String exec, Restart restart) {
        JobSpec spec = JobSpec.of(exec);
        return new JobSpec(spec.exec(), spec.args(), spec.cwd(), spec.envs(), spec.user(), spec.group(), restart,
                spec.stdio(), spec.logBytes(), spec.fds(), spec.stopTimeout());
    }
}
