package jinit.boot;

import static jinit.boot.JobAssertions.assertExited;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import jinit.api.ExitStatus;
import jinit.api.Signal;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The daemon as PID 1 of a PID namespace ({@code unshare --pid --fork --mount-proc}): it runs the
 * boot job and outlives it, adopts and reaps orphans, runs jobs, and shuts down in order on the
 * signals busybox init and erlinit use. As PID 1 it never exits by itself: its reboot(2) ends the
 * namespace, which the kernel does by killing it with SIGHUP (restart) or SIGINT (halt, power off),
 * and unshare passes that on as its own end.
 */
class Pid1Test {

    @BeforeAll
    static void needsUnshareAndRoot() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/unshare")), "util-linux unshare is not installed");
        assumeTrue(ProcFs.ids(Processes.POSIX.getpid(), "Uid").getFirst() == 0, "a PID namespace needs root");
    }

    @Test
    void asPid1ItOutlivesTheBootJobReapsOrphansRunsJobsAndRebootsOnTerm() throws Exception {
        // The boot job leaves an orphan behind and ends; without --stay an ordinary init would exit now.
        Daemon.Config config = Daemon.Config.defaults().exitWithBootJob().inPidNamespace()
                .boot("/bin/sh", "-c", "(exec /bin/sleep 1003 &); exit 5");
        try (Daemon daemon = Daemon.start(config)) {
            String namespace = ProcFs.pidNamespace(daemon.pid()).orElseThrow();
            assertNotEquals(ProcFs.pidNamespace(Processes.POSIX.getpid()).orElseThrow(), namespace);

            assertExited("boot", "{\"exec\":\"/bin/sh\",\"args\":[\"-c\",\"(exec /bin/sleep 1003 &); exit 5\"]}",
                    "{\"code\":5}", daemon.awaitEnded("boot"));

            // The orphan was handed to the namespace's init; once it ends, init reaps it.
            ProcFs.Proc orphan = Eventually.await("the orphan to be init's child", daemon::children,
                    children -> children.stream().anyMatch(p -> p.cmdline().equals(List.of("/bin/sleep", "1003"))))
                    .stream().filter(p -> p.cmdline().equals(List.of("/bin/sleep", "1003"))).findFirst().orElseThrow();
            Processes.POSIX.kill(orphan.pid(), Signal.TERM);
            Eventually.await("the orphan to be reaped", () -> ProcFs.exists(orphan.pid()), Predicate.isEqual(false));

            // Jobs work, and the API speaks of pids as the namespace sees them.
            daemon.start("ns-true", "{\"exec\":\"/bin/true\"}");
            assertEquals(Map.of("code", 0), daemon.awaitEnded("ns-true").get("exit"));
            int nsPid = daemon.start("ns-sleeper", "{\"exec\":\"/bin/sleep\",\"args\":[\"1000\"]}");
            ProcFs.Proc sleeper = Eventually.await("the sleeper under init", daemon::children,
                    children -> children.stream().anyMatch(p -> p.cmdline().equals(List.of("/bin/sleep", "1000"))))
                    .stream().filter(p -> p.cmdline().equals(List.of("/bin/sleep", "1000"))).findFirst().orElseThrow();
            assertEquals(List.of(sleeper.pid(), nsPid), ProcFs.nsPids(sleeper.pid()), "host pid, then the pid the API reports");
            assertEquals(List.of(daemon.pid(), 1), ProcFs.nsPids(daemon.pid()), "init is PID 1 in its namespace");
            Eventually.await("no zombie under init", daemon::children, children -> children.stream().noneMatch(ProcFs.Proc::zombie));
            assertTrue(daemon.exit().isEmpty(), "init is still running");

            ExitStatus status = daemon.stop(Signal.TERM);
            String console = daemon.console();
            assertEquals(128 + Signal.HUP, status.shellStatus(), () -> status + "\n" + console);
            assertShutdownInOrder("reboot", "SIGTERM", "RESTART", console);
            assertTrue(ProcFs.proc(sleeper.pid()).filter(p -> p.cmdline().equals(List.of("/bin/sleep", "1000"))).isEmpty(),
                    "the job's process is gone");
            assertEquals(List.of(), inNamespace(namespace), "no process is left in the namespace");
        }
    }

    @ParameterizedTest
    @CsvSource({"12, SIGUSR2, power off, POWER_OFF, 2", "10, SIGUSR1, halt, HALT, 2"})
    void asPid1ASignalShutsDownInOrder(int signal, String name, String action, String command, int endingSignal) throws Exception {
        try (Daemon daemon = Daemon.start(Daemon.Config.defaults().inPidNamespace().boot("/bin/sleep", "1000"))) {
            String namespace = ProcFs.pidNamespace(daemon.pid()).orElseThrow();
            assertEquals("running", daemon.job("boot").get("state"));

            ExitStatus status = daemon.stop(signal);

            String console = daemon.console();
            assertEquals(128 + endingSignal, status.shellStatus(), () -> status + "\n" + console);
            assertShutdownInOrder(action, name, command, console);
            assertTrue(console.contains("boot job ended with SIGTERM"), console);
            assertEquals(List.of(), inNamespace(namespace), "no process is left in the namespace");
        }
    }

    @Test
    void asPid1PoweroffThroughTheApiEndsAStubbornJobAndATermProofOrphanToo() throws Exception {
        try (Daemon daemon = Daemon.start(Daemon.Config.defaults().inPidNamespace())) {
            String namespace = ProcFs.pidNamespace(daemon.pid()).orElseThrow();
            daemon.start("sleeper", "{\"exec\":\"/bin/sleep\",\"args\":[\"1000\"]}");
            // Ignores TERM, sleep and all: its 300 ms stopTimeout ends it with KILL in step 2.
            daemon.start("stubborn", "{\"exec\":\"/bin/sh\",\"args\":[\"-c\",\"trap '' TERM; sleep 1001 & wait\"],\"stopTimeout\":300}");
            // Leaves an orphan that ignores TERM too: only step 3's KILL to every process can end it.
            daemon.start("orphaning", "{\"exec\":\"/bin/sh\",\"args\":[\"-c\",\"(trap '' TERM; exec sleep 1002) & exit 0\"]}");
            daemon.awaitEnded("orphaning");
            List<List<String>> expected = List.of(List.of("/bin/sleep", "1000"), List.of("sleep", "1001"), List.of("sleep", "1002"));
            List<ProcFs.Proc> processes = Eventually.await("the jobs' processes and the orphan", () -> ProcFs.all().stream()
                            .filter(p -> ProcFs.pidNamespace(p.pid()).filter(namespace::equals).isPresent()).toList(),
                    procs -> expected.stream().allMatch(argv -> procs.stream().anyMatch(p -> p.cmdline().equals(argv))));
            ProcFs.Proc orphan = processes.stream().filter(p -> p.cmdline().equals(expected.getLast())).findFirst().orElseThrow();
            assertEquals(daemon.pid(), orphan.ppid(), "init adopted the orphan");

            Http.Response accepted = daemon.request("POST", "/system/poweroff", Map.of("Authorization", "Bearer " + daemon.token()), null);
            assertEquals(202, accepted.status(), accepted::toString);
            assertEquals(Map.of("shutdown", "poweroff"), accepted.json());

            ExitStatus status = daemon.awaitExit();
            String console = daemon.console();
            assertEquals(128 + Signal.INT, status.shellStatus(), () -> status + "\n" + console);
            assertShutdownInOrder("power off", "POST /system/poweroff", "POWER_OFF", console);
            int kill = console.indexOf("processes remain; sending KILL");
            assertTrue(kill > console.indexOf("step 3/5") && kill < console.indexOf("step 4/5"), () -> "KILL in step 3:\n" + console);
            for (ProcFs.Proc process : processes) {
                assertTrue(ProcFs.proc(process.pid()).filter(p -> p.cmdline().equals(process.cmdline())).isEmpty(),
                        () -> process + " survived");
            }
            assertEquals(List.of(), inNamespace(namespace), "no process is left in the namespace");
        }
    }

    /** The console shows the request, steps 1 to 5 in order, then reboot(2) with {@code command}. */
    private static void assertShutdownInOrder(String action, String signal, String command, String console) {
        int at = console.indexOf("shutdown (" + action + ") requested by " + signal);
        assertTrue(at >= 0, () -> "no shutdown (" + action + ") by " + signal + ":\n" + console);
        for (String step : List.of("step 1/5", "step 2/5", "step 3/5", "step 4/5", "step 5/5", "reboot(" + command + ")")) {
            int next = console.indexOf(step, at);
            assertTrue(next > at, () -> "'" + step + "' missing or out of order:\n" + console);
            at = next;
        }
    }

    private static List<Integer> inNamespace(String namespace) throws Exception {
        return ProcFs.all().stream().map(ProcFs.Proc::pid)
                .filter(pid -> ProcFs.pidNamespace(pid).filter(namespace::equals).isPresent()).toList();
    }
}
