package jinit.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import jinit.api.ExitStatus;
import jinit.api.JobSpec;
import jinit.api.JobState;
import jinit.api.Signal;
import jinit.api.Usage;
import org.junit.jupiter.api.Test;

/**
 * What the supervisor asks of a backend's cgroup and terminal ports (issue 14), on a simulated clock: the order
 * of a stop's signals, the cgroup kill after the timeout and after the stopped process ends, the OOM mark, usage.
 */
class CgroupPortTest {
    private static final int PID = 4242;

    /** One job's process, with a cgroup and a terminal as the test sets them; every call is recorded in order. */
    private static final class Recording implements ProcessBackend {
        final List<String> calls = new ArrayList<>();
        boolean terminal;
        boolean cgroup = true;
        boolean oom;

        @Override
        public PreparedLaunch prepare(String id, JobSpec spec, JobOutput output) {
            return () -> PID;
        }

        @Override
        public void signal(int pid, int signal) {
            calls.add("signal " + pid + " " + Signal.name(signal));
        }

        @Override
        public void ended(String id) {
            calls.add("ended " + id);
        }

        @Override
        public boolean onTerminal(String id) {
            return terminal;
        }

        @Override
        public boolean killTree(String id) {
            calls.add("killTree " + id);
            return cgroup;
        }

        @Override
        public Usage usage(String id) {
            return cgroup ? new Usage(1 << 20, 3, 7) : null;
        }

        @Override
        public boolean oomKilled(String id) {
            calls.add("oomKilled? " + id);
            return oom;
        }
    }

    private final Recording backend = new Recording();
    private final ManualTime time = new ManualTime();
    private final Supervisor supervisor = new Supervisor(backend, time, time, 16, new EventLog(64));

    @Test
    void aStopOfAJobOnATerminalSendsHangupAndContinueAfterTerm() throws Exception {
        backend.terminal = true;
        supervisor.put("shell", JobSpec.of("/bin/sh"), Caller.ROOT);
        supervisor.stop("shell", 10_000, Caller.ROOT);
        assertEquals(List.of("signal -4242 TERM", "signal -4242 HUP", "signal -4242 CONT"), backend.calls);
    }

    @Test
    void theTimeoutsKillGoesToTheCgroupThenTheGroupAndTheEndKillsTheRest() throws Exception {
        supervisor.put("stubborn", JobSpec.of("/bin/sh"), Caller.ROOT);
        supervisor.stop("stubborn", 500, Caller.ROOT);
        time.advance(500);
        assertEquals(List.of("signal -4242 TERM", "killTree stubborn", "signal -4242 KILL"), backend.calls);
        backend.calls.clear();
        supervisor.childExited(PID, new ExitStatus.Signaled(Signal.KILL, false), () -> {});
        // What left the group (a setsid daemon) goes once the job has ended by the stop.
        assertEquals(List.of("killTree stubborn", "oomKilled? stubborn", "ended stubborn"), backend.calls);
    }

    @Test
    void aJobThatEndsByItselfKeepsWhatItStarted() throws Exception {
        supervisor.put("oneshot", JobSpec.of("/bin/sh"), Caller.ROOT);
        supervisor.childExited(PID, new ExitStatus.Code(0), () -> {});
        assertEquals(List.of("ended oneshot"), backend.calls, "no cgroup kill, and no OOM question for an exit code");
    }

    @Test
    void aKillByTheOomKillerIsMarkedInTheExit() throws Exception {
        backend.oom = true;
        supervisor.put("hog", JobSpec.of("/bin/sh"), Caller.ROOT);
        supervisor.childExited(PID, new ExitStatus.Signaled(Signal.KILL, false), () -> {});
        assertEquals(new ExitStatus.Signaled(Signal.KILL, false, true),
                ((JobState.Exited) supervisor.get("hog").orElseThrow().state()).exit());
    }

    @Test
    void aKillByAnotherSignalIsNeverAnOom() throws Exception {
        backend.oom = true;
        supervisor.put("termed", JobSpec.of("/bin/sh"), Caller.ROOT);
        supervisor.childExited(PID, new ExitStatus.Signaled(Signal.TERM, false), () -> {});
        assertEquals(new ExitStatus.Signaled(Signal.TERM, false, false),
                ((JobState.Exited) supervisor.get("termed").orElseThrow().state()).exit());
    }

    @Test
    void usageIsAskedForARunningJobOnly() throws Exception {
        supervisor.put("busy", JobSpec.of("/bin/sh"), Caller.ROOT);
        assertEquals(Optional.of(new Usage(1 << 20, 3, 7)), supervisor.usage("busy"));
        supervisor.childExited(PID, new ExitStatus.Code(0), () -> {});
        assertEquals(Optional.empty(), supervisor.usage("busy"));
        assertEquals(Optional.empty(), supervisor.usage("nothing"));
    }
}
