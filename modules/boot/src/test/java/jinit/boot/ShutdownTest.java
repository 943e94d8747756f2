package jinit.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import jinit.posix.WaitStatus;
import org.junit.jupiter.api.Test;

/**
 * POST /system/poweroff (issue 4): as PID 1 of a PID namespace, the five steps on the console and
 * every process of the namespace gone; elsewhere, every job stopped and an exit with status 0.
 */
class ShutdownTest {
    /** What reboot(2) with LINUX_REBOOT_CMD_POWER_OFF does to a PID namespace's init: SIGINT, which unshare passes on. */
    private static final int SHELL_STATUS_OF_SIGINT = 128 + 2;

    private static final String STUBBORN = "{\"exec\":\"/bin/sh\",\"args\":[\"-c\",\"trap '' TERM; sleep 1000 & wait\"],\"stopTimeout\":300}";
    /** Leaves a TERM-proof orphan behind and ends: only step 3's kill(-1, KILL) can end the orphan. */
    private static final String ORPHANING = "{\"exec\":\"/bin/sh\",\"args\":[\"-c\",\"(trap '' TERM; exec sleep 1001) & exit 0\"]}";
    private static final String SLEEPER = "{\"exec\":\"/bin/sleep\",\"args\":[\"1002\"]}";

    private static final Pattern STEP = Pattern.compile("step (\\d)/5: ");

    /** Every process below {@code root} in the process tree, from /proc. */
    private static List<ProcFs.Proc> descendants(int root) throws IOException {
        List<ProcFs.Proc> all = ProcFs.all();
        List<ProcFs.Proc> found = new ArrayList<>();
        List<Integer> parents = new ArrayList<>(List.of(root));
        while (!parents.isEmpty()) {
            int parent = parents.removeFirst();
            for (ProcFs.Proc proc : all) {
                if (proc.ppid() == parent) {
                    found.add(proc);
                    parents.add(proc.pid());
                }
            }
        }
        return found;
    }

    /** The steps the console shows, in the order it shows them. */
    private static List<Integer> steps(String console) {
        List<Integer> steps = new ArrayList<>();
        Matcher matcher = STEP.matcher(console);
        while (matcher.find()) steps.add(Integer.parseInt(matcher.group(1)));
        return steps;
    }

    private static Optional<String> pidNamespace(int pid) {
        try {
            return Optional.of(Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "ns", "pid")).toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Processes of the whole machine that are in the PID namespace {@code namespace}. */
    private static List<Integer> inNamespace(String namespace) throws IOException {
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            return entries.map(p -> p.getFileName().toString()).filter(name -> name.chars().allMatch(Character::isDigit))
                    .map(Integer::valueOf).filter(pid -> pidNamespace(pid).filter(namespace::equals).isPresent()).toList();
        }
    }

    @Test
    void poweroffAsPid1StopsJobsKillsOrphansAndEndsTheNamespace() throws Exception {
        Daemon daemon = Daemon.start(Daemon.Config.defaults().inPidNamespace());
        try {
            String namespace = pidNamespace(daemon.pid()).orElseThrow();
            assertTrue(!namespace.equals(pidNamespace(Processes.POSIX.getpid()).orElseThrow()), "the daemon has a PID namespace of its own");
            daemon.start("sleeper", SLEEPER);
            daemon.start("stubborn", STUBBORN);
            daemon.start("orphaning", ORPHANING);
            daemon.awaitEnded("orphaning");
            // The orphan is adopted by init, the namespace's PID 1; the stubborn shell has forked its sleep.
            List<ProcFs.Proc> processes = Eventually.await("the jobs' processes and the orphan", () -> descendants(daemon.pid()),
                    procs -> Stream.of(List.of("sleep", "1000"), List.of("sleep", "1001"), List.of("/bin/sleep", "1002"))
                            .allMatch(argv -> procs.stream().anyMatch(p -> p.cmdline().equals(argv))));
            ProcFs.Proc orphan = processes.stream().filter(p -> p.cmdline().equals(List.of("sleep", "1001"))).findFirst().orElseThrow();
            assertEquals(daemon.pid(), orphan.ppid(), "the orphan's parent is init");

            Http.Response accepted = daemon.request("POST", "/system/poweroff",
                    Map.of("Authorization", "Bearer " + daemon.token()), null);
            assertEquals(202, accepted.status(), accepted::toString);
            assertEquals(Map.of("shutdown", "poweroff"), accepted.json());

            WaitStatus status = daemon.awaitExit();
            String console = daemon.console();
            assertEquals(SHELL_STATUS_OF_SIGINT, status.shellStatus(), () -> status + "\n" + console);
            assertEquals(List.of(1, 2, 3, 4, 5), steps(console), console);
            assertTrue(console.contains("shutdown (power off) requested by POST /system/poweroff"), console);
            // The orphan ignores TERM, so step 3 had to go on to KILL.
            int kill = console.indexOf("processes remain; sending KILL");
            assertTrue(kill > console.indexOf("step 3/5") && kill < console.indexOf("step 4/5"), console);
            assertTrue(console.indexOf("reboot(POWER_OFF)") > console.indexOf("step 5/5"), console);

            for (ProcFs.Proc process : processes) {
                Optional<ProcFs.Proc> now = ProcFs.proc(process.pid());
                assertTrue(now.isEmpty() || !now.get().cmdline().equals(process.cmdline()), () -> process + " survived: " + now);
            }
            assertTrue(ProcFs.proc(daemon.pid()).isEmpty(), "the daemon itself is gone");
            assertEquals(List.of(), inNamespace(namespace), "no process is left in the namespace");
        } finally {
            daemon.close();
        }
    }

    @Test
    void poweroffElsewhereStopsEveryJobAndExitsZero() throws Exception {
        Daemon daemon = Daemon.start();
        try {
            int sleeper = daemon.start("sleeper", SLEEPER);
            int stubborn = daemon.start("stubborn", STUBBORN);
            List<ProcFs.Proc> stubbornChild = Eventually.await("the stubborn job's sleep", () -> ProcFs.children(stubborn).stream()
                    .filter(p -> p.cmdline().equals(List.of("sleep", "1000"))).toList(), children -> children.size() == 1);

            Http.Response accepted = daemon.request("POST", "/system/poweroff", Map.of(), null);
            assertEquals(202, accepted.status(), accepted::toString);

            WaitStatus status = daemon.awaitExit();
            String console = daemon.console();
            assertEquals(new WaitStatus.Exited(0), status, console);
            assertEquals(List.of(1, 2, 4, 5), steps(console), "no kill(-1) when not PID 1:\n" + console);
            assertTrue(console.contains("exiting with status 0"), console);
            for (int pid : List.of(sleeper, stubborn, stubbornChild.getFirst().pid())) {
                Eventually.await("pid " + pid + " to be gone", () -> ProcFs.proc(pid), p -> p.isEmpty() || p.get().zombie());
            }
        } finally {
            daemon.close();
        }
    }
}
