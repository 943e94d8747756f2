package jinit.watchdog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** JINIT_WATCHDOG, as the kernel command line gives it. */
class SettingTest {
    @Test
    void parsesEveryForm() {
        assertEquals(new Watchdog.Setting(false, null, Watchdog.DEFAULT_TIMEOUT_SECONDS), Watchdog.Setting.parse(null));
        assertEquals(new Watchdog.Setting(true, null, 0), Watchdog.Setting.parse("off"));
        assertEquals(new Watchdog.Setting(false, "/dev/watchdog1", Watchdog.DEFAULT_TIMEOUT_SECONDS), Watchdog.Setting.parse("/dev/watchdog1"));
        assertEquals(new Watchdog.Setting(false, "/dev/watchdog0", 30), Watchdog.Setting.parse("/dev/watchdog0:30"));
        assertEquals(new Watchdog.Setting(false, null, 15), Watchdog.Setting.parse("15"));
        for (String bad : List.of("/dev/watchdog0:x", "dev/watchdog", "/dev/watchdog:0", "/dev/watchdog:-3")) {
            assertThrows(IllegalArgumentException.class, () -> Watchdog.Setting.parse(bad), bad);
        }
    }

    @Test
    void armsNothingOffPid1UnlessADeviceIsNamedNorWhenOff() {
        assertEquals(Map.of("armed", false, "reason", "JINIT_WATCHDOG=off"),
                Watchdog.start(null, Map.of("JINIT_WATCHDOG", "off"), true, null, null, null, line -> {}).status());
        assertEquals(false, Watchdog.start(null, Map.of(), false, null, null, null, line -> {}).status().get("armed"));
    }
}
