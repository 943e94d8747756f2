package jinit.boot;

import static jinit.boot.JobAssertions.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * POST /job/:id/stop (issue 4) with real process groups: TERM first, KILL after the timeout, no
 * restart afterwards, and nothing of the job left behind, grandchildren included.
 */
class StopTest extends OneDaemonPerClass {
    /** SIGTERM's bit in /proc/PID/status masks (signal 15, bit 14). */
    private static final long TERM_BIT = 1L << 14;

    /** Starts a shell job and waits until it has forked {@code count} children running {@code argv}; returns their pids. */
    private List<Integer> startWithChildren(String id, String spec, int count, List<String> argv) throws Exception {
        int pid = daemon.start(id, spec);
        List<ProcFs.Proc> children = Eventually.await(count + " children of job '" + id + "'",
                () -> ProcFs.children(pid).stream().filter(child -> child.cmdline().equals(argv)).toList(),
                found -> found.size() == count);
        return children.stream().map(ProcFs.Proc::pid).toList();
    }

    private static boolean ignoresTerm(int pid) throws Exception {
        return (Long.parseUnsignedLong(ProcFs.status(pid).get("SigIgn"), 16) & TERM_BIT) != 0;
    }

    private static void assertAllGone(List<Integer> pids) throws Exception {
        for (int pid : pids) {
            Eventually.await("pid " + pid + " to be gone", () -> ProcFs.proc(pid), java.util.Optional::isEmpty);
        }
    }

    @Test
    void aJobIgnoringTermIsKilledWithItsGroupAfterTheTimeout() throws Exception {
        String script = "trap '' TERM; sleep 60 & wait";
        List<Integer> sleeps = startWithChildren("stubborn", sh(script), 1, List.of("sleep", "60"));
        int pid = (Integer) daemon.job("stubborn").get("pid");
        assertTrue(ignoresTerm(pid) && ignoresTerm(sleeps.getFirst()), "the shell and its child both ignore TERM");

        long began = System.nanoTime();
        Http.Response stopped = stop("stubborn", "?timeout=500");
        long tookMillis = (System.nanoTime() - began) / 1_000_000;

        assertEquals(200, stopped.status(), stopped::toString);
        assertEquals("application/json", stopped.header("Content-Type"));
        Map<String, Object> job = stopped.json();
        assertEquals("exited", job.get("state"));
        assertEquals(Map.of("signal", "KILL"), job.get("exit"));
        assertNull(job.get("pid"));
        assertTrue(tookMillis >= 500, () -> "KILL came after " + tookMillis + " ms, before the 500 ms timeout");
        assertEquals(job, daemon.job("stubborn"));
        assertEquals("[jinit] stop timeout passed; sending KILL\n", daemon.get("/job/stubborn/log?follow=1").text());
        assertAllGone(List.of(pid, sleeps.getFirst()));
    }

    @Test
    void theSpecsStopTimeoutIsTheDefault() throws Exception {
        startWithChildren("stubborn-spec", sh("trap '' TERM; sleep 60 & wait", "\"stopTimeout\":300"), 1, List.of("sleep", "60"));
        long began = System.nanoTime();
        Http.Response stopped = stop("stubborn-spec", "");
        long tookMillis = (System.nanoTime() - began) / 1_000_000;
        assertEquals(200, stopped.status(), stopped::toString);
        assertEquals(Map.of("signal", "KILL"), stopped.json().get("exit"));
        assertTrue(tookMillis >= 300, () -> "KILL came after " + tookMillis + " ms, before the spec's 300 ms");
    }

    @Test
    void aJobHonouringTermEndsByTermAndIsNotRestarted() throws Exception {
        int pid = daemon.start("polite", "{\"exec\":\"/bin/sleep\",\"args\":[\"60\"],\"restart\":\"always\"}");
        ProcFs.awaitExec(pid, List.of("/bin/sleep", "60"));
        // A timeout far beyond the test's patience: only TERM can have ended it.
        Http.Response stopped = stop("polite", "?timeout=600000");
        assertEquals(200, stopped.status(), stopped::toString);
        Map<String, Object> job = stopped.json();
        assertEquals("exited", job.get("state"), "a stopped job is not restarted, even with restart always");
        assertEquals(Map.of("signal", "TERM"), job.get("exit"));
        assertEquals(0, job.get("restarts"));
        assertFalse(job.containsKey("gaveUp"), job::toString);
        assertEquals("", daemon.get("/job/polite/log?follow=1").text(), "no KILL marker");
    }

    @Test
    void theWholeProcessGroupGetsTerm() throws Exception {
        List<Integer> sleeps = startWithChildren("family", sh("sleep 60 & sleep 61 & wait; wait"), 1, List.of("sleep", "60"));
        int pid = (Integer) daemon.job("family").get("pid");
        List<Integer> others = Eventually.await("the second child", () -> ProcFs.children(pid).stream()
                .filter(child -> child.cmdline().equals(List.of("sleep", "61"))).map(ProcFs.Proc::pid).toList(), l -> l.size() == 1);
        Http.Response stopped = stop("family", "?timeout=600000");
        assertEquals(200, stopped.status(), stopped::toString);
        assertEquals(Map.of("signal", "TERM"), stopped.json().get("exit"));
        assertAllGone(List.of(pid, sleeps.getFirst(), others.getFirst()));
    }

    @Test
    void waitZeroAnswers202AtOnceWithTheJobStillRunning() throws Exception {
        startWithChildren("no-wait", sh("trap '' TERM; sleep 60 & wait"), 1, List.of("sleep", "60"));
        int pid = (Integer) daemon.job("no-wait").get("pid");
        Http.Response accepted = stop("no-wait", "?timeout=300&wait=0");
        assertEquals(202, accepted.status(), accepted::toString);
        Map<String, Object> job = accepted.json();
        assertEquals("running", job.get("state"));
        assertEquals(pid, job.get("pid"));
        Map<String, Object> ended = daemon.awaitEnded("no-wait");
        assertEquals(Map.of("signal", "KILL"), ended.get("exit"));
    }

    @Test
    void aStopOfAnEndedJobIsA200NoOp() throws Exception {
        daemon.start("already-ended", "{\"exec\":\"/bin/sh\",\"args\":[\"-c\",\"exit 4\"]}");
        Map<String, Object> ended = daemon.awaitEnded("already-ended");
        Http.Response stopped = stop("already-ended", "");
        assertEquals(200, stopped.status(), stopped::toString);
        assertEquals(ended, stopped.json());
        assertEquals(ended, daemon.job("already-ended"));
        assertEquals(200, stop("already-ended", "?wait=0").status(), "wait=0 changes nothing for an ended job");
    }

    @Test
    void badStopsAre404Or400() throws Exception {
        assertError(404, "no job 'never-there'", stop("never-there", ""));
        daemon.start("stop-params", "{\"exec\":\"/bin/true\"}");
        assertError(400, "query parameter 'timeout' must be a whole number from 0 to 600000", stop("stop-params", "?timeout=-5"));
        assertError(400, "query parameter 'timeout' must be a whole number from 0 to 600000", stop("stop-params", "?timeout=soon"));
        assertInstanceOf(Map.class, daemon.awaitEnded("stop-params"));
    }
}
