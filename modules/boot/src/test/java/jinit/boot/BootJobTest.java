package jinit.boot;

import static jinit.boot.JobAssertions.assertExited;
import static jinit.boot.JobAssertions.assertNoContent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import jinit.api.ExitStatus;
import org.junit.jupiter.api.Test;

/**
 * The next command on init's command line runs as job "boot". Not PID 1 and without --stay, init
 * exits with its status as a shell reports it; with --stay it keeps serving.
 */
class BootJobTest {
    private static final Daemon.Config EXIT_WITH_BOOT_JOB = Daemon.Config.defaults().exitWithBootJob();

    @Test
    void initExitsWithTheBootJobsExitCodeAndTheBootJobHasInitsStdioAndEnvironment() throws Exception {
        try (Daemon daemon = Daemon.start(EXIT_WITH_BOOT_JOB.boot("/bin/sh", "-c",
                "echo \"out $" + Daemon.Config.MARKER + "\"; echo err-from-boot >&2; exit 3"))) {
            assertEquals(new ExitStatus.Code(3), daemon.awaitExit(), daemon::console);
            assertTrue(daemon.console().contains("boot job ended with exit code 3"), daemon::console);
            assertEquals("out yes\n", Files.readString(daemon.stdoutFile()));
            assertTrue(daemon.console().contains("err-from-boot\n"), daemon::console);
        }
    }

    @Test
    void aBootJobKilledByASignalMakesInitExitWith128PlusTheSignal() throws Exception {
        try (Daemon daemon = Daemon.start(EXIT_WITH_BOOT_JOB.boot("/bin/sh", "-c", "kill -TERM $$"))) {
            assertEquals(new ExitStatus.Code(128 + 15), daemon.awaitExit(), daemon::console);
            assertTrue(daemon.console().contains("boot job ended with SIGTERM"), daemon::console);
        }
    }

    @Test
    void aSignalThroughTheApiThatEndsTheBootJobIsAnsweredBeforeInitExits() throws Exception {
        for (int run = 0; run < 5; run++) {
            try (Daemon daemon = Daemon.start(EXIT_WITH_BOOT_JOB.boot("/bin/sleep", "1000"))) {
                assertNoContent(daemon.put("/job/boot/sig/KILL"));
                assertEquals(new ExitStatus.Code(128 + 9), daemon.awaitExit(), daemon::console);
            }
        }
    }

    @Test
    void aBootCommandThatCannotStartMakesInitExitWith127() throws Exception {
        try (Daemon daemon = Daemon.start(EXIT_WITH_BOOT_JOB.boot("/nonexistent/jinit-it-boot"))) {
            assertEquals(new ExitStatus.Code(127), daemon.awaitExit(), daemon::console);
            assertTrue(daemon.console().contains("could not start the boot job"), daemon::console);
        }
    }

    @Test
    void withStayInitKeepsServingAfterTheBootJobEnds() throws Exception {
        String spec = "{\"exec\":\"/bin/sh\",\"args\":[\"-c\",\"exit 3\"],\"cwd\":\"/\",\"envs\":null,\"user\":null,\"group\":null}";
        try (Daemon daemon = Daemon.start(Daemon.Config.defaults().boot("/bin/sh", "-c", "exit 3"))) {
            assertExited("boot", spec, "{\"code\":3}", daemon.awaitEnded("boot"));
            assertEquals(200, daemon.get("/jobs").status());
            assertTrue(daemon.exit().isEmpty(), "init is still running");
        } // close() stops it with TERM and checks it exits 0
    }
}
