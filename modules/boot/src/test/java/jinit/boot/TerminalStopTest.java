package jinit.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A stop sends HUP and CONT along with TERM to a job whose stdio is a terminal (issue 14), as systemd's
 * SendSIGHUP= does for sessions: an interactive shell ignores TERM, and would otherwise hold a stop, and a
 * poweroff typed in the console shell, for its whole stop timeout. The terminal here is a pty master
 * (/dev/ptmx opened as the job's stdin), which isatty(3) reports as one, as it does the console.
 */
class TerminalStopTest extends OneDaemonPerClass {
    private static final String ON_A_TERMINAL = "\"stdio\":{\"stdin\":{\"file\":\"/dev/ptmx\"}}";
    /** Far beyond the test's patience: a stop that ends before it was not waiting for the KILL. */
    private static final String NO_KILL_SOON = "?timeout=600000";

    @Test
    void anInteractiveShellOnATerminalEndsByHangupAtOnce() throws Exception {
        // sh -i ignores TERM, as a login shell on the console does.
        daemon.start("tty-shell", "{\"exec\":\"/bin/sh\",\"args\":[\"-i\"]," + ON_A_TERMINAL + "}");
        Eventually.await("the interactive shell to wait for input", () -> daemon.job("tty-shell").get("state"), "running"::equals);
        long began = System.nanoTime();
        Http.Response stopped = daemon.post("/job/tty-shell/stop" + NO_KILL_SOON, "");
        long tookMillis = (System.nanoTime() - began) / 1_000_000;
        assertEquals(200, stopped.status(), stopped::toString);
        assertEquals(Map.of("signal", "HUP"), stopped.json().get("exit"));
        assertTrue(tookMillis < 5_000, () -> "the stop took " + tookMillis + " ms");
    }

    @Test
    void aStoppedJobOnATerminalIsContinuedToTakeTheHangup() throws Exception {
        daemon.start("tty-stopped", sh("trap '' TERM; while :; do sleep 0.1; done", ON_A_TERMINAL));
        assertEquals(204, daemon.put("/job/tty-stopped/sig/STOP").status());
        int pid = (Integer) daemon.job("tty-stopped").get("pid");
        Eventually.await("the job to be stopped", () -> ProcFs.status(pid).get("State"), state -> state.startsWith("T"));
        Http.Response stopped = daemon.post("/job/tty-stopped/stop" + NO_KILL_SOON, "");
        assertEquals(200, stopped.status(), stopped::toString);
        assertEquals(Map.of("signal", "HUP"), stopped.json().get("exit"));
    }

    @Test
    void aJobWithoutATerminalGetsNoHangup() throws Exception {
        // Ignores TERM, dies of HUP: only the KILL after the timeout may end it.
        daemon.start("no-tty", sh("trap '' TERM; while :; do sleep 0.1; done"));
        Http.Response stopped = daemon.post("/job/no-tty/stop?timeout=1000", "");
        assertEquals(200, stopped.status(), stopped::toString);
        assertEquals(Map.of("signal", "KILL"), stopped.json().get("exit"));
    }
}
