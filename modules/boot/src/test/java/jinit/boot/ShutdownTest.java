package jinit.boot;

import static jinit.boot.JobAssertions.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jinit.api.ExitStatus;
import org.junit.jupiter.api.Test;

/**
 * POST /system/poweroff (issue 4) when init is not PID 1: new jobs are refused, every job is stopped,
 * and the daemon exits with status 0. (As PID 1 of a PID namespace, see {@link Pid1Test}.)
 */
class ShutdownTest {
    private static final Pattern STEP = Pattern.compile("step (\\d)/5: ");

    /** The steps the console shows, in the order it shows them. */
    private static List<Integer> steps(String console) {
        List<Integer> steps = new ArrayList<>();
        Matcher matcher = STEP.matcher(console);
        while (matcher.find()) steps.add(Integer.parseInt(matcher.group(1)));
        return steps;
    }

    @Test
    void poweroffElsewhereRefusesNewJobsStopsEveryJobAndExitsZero() throws Exception {
        Path go = OneDaemonPerClass.scratchFile("shutdown-go");
        try (Daemon daemon = Daemon.start()) {
            int sleeper = daemon.start("sleeper", "{\"exec\":\"/bin/sleep\",\"args\":[\"1000\"]}");
            int stubborn = daemon.start("stubborn", OneDaemonPerClass.sh("trap '' TERM; sleep 1001 & wait", "\"stopTimeout\":300"));
            // Takes TERM, then holds the shutdown in step 2 until the test lets it end.
            int lingering = daemon.start("lingering", OneDaemonPerClass.sh(
                    "trap \"while [ ! -e '" + go + "' ]; do sleep 0.02; done; exit 0\" TERM; sleep 1002 & wait",
                    "\"stopTimeout\":60000"));
            List<Integer> children = new ArrayList<>();
            for (int shell : List.of(stubborn, lingering)) {
                children.add(Eventually.await("the shell's sleep", () -> ProcFs.children(shell), c -> c.size() == 1).getFirst().pid());
            }

            Http.Response accepted = daemon.request("POST", "/system/poweroff", Map.of(), null);
            assertEquals(202, accepted.status(), accepted::toString);
            assertEquals(Map.of("shutdown", "poweroff"), accepted.json());

            // The shutdown runs on a thread of its own; once it has begun, nothing new starts.
            Http.Response refused = Eventually.await("new jobs to be refused", () -> daemon.put("/job/late", "{\"exec\":\"/bin/true\"}"),
                    response -> response.status() != 201);
            assertError(503, "init is shutting down and starts no new jobs", refused);
            assertError(503, "init is shutting down and starts no new jobs", daemon.post("/job", "{\"exec\":\"/bin/true\"}"));
            assertTrue(daemon.exit().isEmpty(), "still in step 2, waiting for the lingering job");
            Files.createFile(go);

            ExitStatus status = daemon.awaitExit();
            String console = daemon.console();
            assertEquals(new ExitStatus.Code(0), status, console);
            assertTrue(console.contains("shutdown (power off) requested by POST /system/poweroff"), console);
            assertEquals(List.of(1, 2, 4, 5), steps(console), () -> "no kill(-1) when not PID 1:\n" + console);
            assertTrue(console.matches("(?s).*step 4/5.*orphans reaped since start: \\d+ .*step 5/5.*"), console);
            assertTrue(console.indexOf("exiting with status 0") > console.indexOf("step 5/5"), console);
            List<Integer> pids = new ArrayList<>(List.of(sleeper, stubborn, lingering));
            pids.addAll(children);
            for (int pid : pids) {
                Eventually.await("pid " + pid + " to be gone", () -> ProcFs.proc(pid), p -> p.isEmpty() || p.get().zombie());
            }
        }
    }
}
