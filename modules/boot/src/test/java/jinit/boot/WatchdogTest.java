package jinit.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The watchdog's start in a real daemon, on this host without a watchdog: opening a real one here would reset the
 * machine, so /dev/full stands in, named (a named device is opened even off PID 1). Its driver answers the watchdog
 * ioctls with ENOTTY, so init must say so, let it go and serve on without a watchdog. On the way the probes run
 * once against the real daemon (init arms only after a round of them), so a probe that cannot pass against a
 * healthy init (the API probe refused by the caller checks, say) shows up here as "arming although".
 * The armed path, the gating and the reset are proven in QEMU: qemu/test-watchdog.
 */
class WatchdogTest {
    private static final String STAND_IN = "/dev/full";

    @Test
    void aNamedDeviceThatIsNoWatchdogIsLetGoAndSaidSo() throws Exception {
        Daemon.Config config = Daemon.Config.defaults().withEnvironment("JINIT_WATCHDOG", STAND_IN + ":12");
        try (Daemon daemon = Daemon.start(config)) {
            Map<String, Object> watchdog = Eventually.await("init to try the device", () -> watchdog(daemon),
                    w -> !String.valueOf(w.get("reason")).startsWith("arming"));
            assertEquals(false, watchdog.get("armed"), watchdog::toString);
            assertTrue(String.valueOf(watchdog.get("reason")).startsWith("ioctl /dev/full WDIOC_GETSUPPORT: ")
                    && String.valueOf(watchdog.get("reason")).endsWith("(ENOTTY)"), watchdog::toString);
            String console = daemon.console();
            assertTrue(console.contains("not a watchdog I can drive, so none"), console);
            assertFalse(console.contains("arming although"), console);
            assertFalse(holds(daemon.pid(), STAND_IN), "init kept the device open");
            assertEquals(200, daemon.get("/jobs").status(), "init serves on");
        }
    }

    @Test
    void aMalformedSettingIsSaidAndNoDeviceIsOpenedOffPid1() throws Exception {
        Daemon.Config config = Daemon.Config.defaults().withEnvironment("JINIT_WATCHDOG", "dev/watchdog0");
        try (Daemon daemon = Daemon.start(config)) {
            assertEquals(Map.of("armed", false, "reason", "not PID 1, and no device named in JINIT_WATCHDOG"), watchdog(daemon));
            assertTrue(daemon.console().contains("watchdog: ignoring JINIT_WATCHDOG=dev/watchdog0: 'dev/watchdog0' is no absolute path"),
                    daemon.console());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> watchdog(Daemon daemon) throws Exception {
        Http.Response response = daemon.get("/system");
        assertEquals(200, response.status(), response::toString);
        return (Map<String, Object>) Json.object(response.text()).get("watchdog");
    }

    private static boolean holds(int pid, String path) throws Exception {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().equals(path);
                } catch (Exception e) {
                    return false;
                }
            });
        }
    }
}
