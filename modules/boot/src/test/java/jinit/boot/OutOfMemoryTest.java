package jinit.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.regex.Pattern;
import jinit.api.ExitStatus;
import org.junit.jupiter.api.Test;

/**
 * When init does run out of heap for good, it is never left half alive: a thread of its own dying of it, or
 * OutOfMemoryErrors that keep coming, stop init in order, and as PID 1 that ends in a reboot. The heap here is
 * made too small on purpose: 24 MB against the 32 MiB log budget, which the image's 128 MB never allows.
 */
class OutOfMemoryTest {
    private static final Pattern FATAL = Pattern.compile(
            "fatal: (the death of thread \\S+|a heap that stayed exhausted for 10 s) \\(java\\.lang\\.OutOfMemoryError.*\\);"
                    + " init cannot go on like this, so it reboots after an orderly shutdown");

    @Test
    void pid1WhoseHeapRunsOutRebootsInOrderInsteadOfLingeringHalfAlive() throws Exception {
        Daemon daemon = Daemon.start(Daemon.Config.defaults().inPidNamespace().withJvmOptions("-Xmx24m", "-Xmn4m", "-XX:+UseSerialGC"));
        try {
            Floods.startAsNobody(daemon, "flood-a", Floods.ALTERNATE);
            Floods.startAsNobody(daemon, "flood-b", Floods.ALTERNATE);
            // A reboot(2) in a PID namespace kills its init with SIGHUP, and unshare reports that.
            ExitStatus status = Processes.awaitExit(daemon.launcherPid(), Duration.ofSeconds(180));
            String console = daemon.console();
            assertEquals(128 + 1, status.shellStatus(), () -> status + "\n" + console);
            assertTrue(FATAL.matcher(console).find(), console);
            for (String step : new String[] {"step 1/5", "step 2/5", "step 3/5", "step 4/5", "step 5/5", "reboot(RESTART)"}) {
                assertTrue(console.contains(step), () -> "no '" + step + "' on the console:\n" + console);
            }
        } finally {
            daemon.close();
        }
    }
}
