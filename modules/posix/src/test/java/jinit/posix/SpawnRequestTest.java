package jinit.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpawnRequestTest {
    private static SpawnRequest request(String path, List<String> argv, List<String> envp, int stdin, List<Integer> passFds) {
        return new SpawnRequest(path, argv, envp, null, null, stdin, SpawnRequest.DEV_NULL, SpawnRequest.DEV_NULL, passFds);
    }

    @Test
    void rejectsWhatTheChildCouldNotBeGiven() {
        assertThrows(IllegalArgumentException.class, () -> request("bin/true", List.of("true"), List.of(), -1, List.of()));
        assertThrows(IllegalArgumentException.class, () -> request("/bin/true", List.of(), List.of(), -1, List.of()));
        assertThrows(IllegalArgumentException.class, () -> request("/bin/true", List.of("a\0b"), List.of(), -1, List.of()));
        assertThrows(IllegalArgumentException.class, () -> request("/bin/true", List.of("true"), List.of("A=\0"), -1, List.of()));
        assertThrows(IllegalArgumentException.class, () -> request("/bin/true", List.of("true"), List.of(), -3, List.of()));
        assertThrows(IllegalArgumentException.class, () -> request("/bin/true", List.of("true"), List.of(), -1, List.of(-1)));
    }

    @Test
    void credentialsAreImmutableValues() {
        int[] groups = {1, 2};
        Credentials c = new Credentials(5, 6, groups);
        groups[0] = 99;
        assertEquals(new Credentials(5, 6, new int[] {1, 2}), c);
        assertNotSame(c.supplementaryGroups(), c.supplementaryGroups());
        assertEquals("Credentials[uid=5, gid=6, groups=[1, 2]]", c.toString());
    }

    @Test
    void socketActivationGoesThroughTheHelperWithSystemdsVariables() {
        Credentials nobody = new Credentials(65534, 65534, new int[0]);
        SpawnRequest job = new SpawnRequest("/usr/bin/app", List.of("app", "--serve"),
                List.of("PATH=/bin", "LISTEN_PID=1", "LISTEN_FDS=9", "LISTEN_FDNAMES=old", "HOME=/"), "/srv", nobody,
                SpawnRequest.DEV_NULL, 7, 8, List.of(11, 12));
        SpawnRequest activated = job.socketActivated(Path.of("/opt/jinit/lib/jinit-exec"), List.of("web", "admin"));
        assertEquals(new SpawnRequest("/opt/jinit/lib/jinit-exec", List.of("jinit-exec", "/usr/bin/app", "app", "--serve"),
                List.of("PATH=/bin", "HOME=/", "LISTEN_FDS=2", "LISTEN_FDNAMES=web:admin"), "/srv", nobody,
                SpawnRequest.DEV_NULL, 7, 8, List.of(11, 12)), activated);
    }

    @Test
    void socketActivationNeedsOneValidNamePerFd() {
        SpawnRequest none = request("/bin/app", List.of("app"), List.of(), -1, List.of());
        SpawnRequest two = request("/bin/app", List.of("app"), List.of(), -1, List.of(5, 6));
        Path helper = Path.of("/jinit-exec");
        assertEquals("socket activation needs at least one fd in passFds",
                assertThrows(IllegalArgumentException.class, () -> none.socketActivated(helper, List.of())).getMessage());
        assertEquals("1 fd names for 2 fds; give one name per fd",
                assertThrows(IllegalArgumentException.class, () -> two.socketActivated(helper, List.of("a"))).getMessage());
        for (String bad : List.of("", "a:b", "tab\there", "x".repeat(256), "caf\u00e9")) {
            assertThrows(IllegalArgumentException.class, () -> two.socketActivated(helper, List.of("ok", bad)), bad);
        }
        two.socketActivated(helper, List.of("x".repeat(255), "with space"));
    }
}
