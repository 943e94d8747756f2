package jinit.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
        assertThrows(IllegalArgumentException.class, () -> request("/bin/true", List.of("true"), List.of(), -1, List.of(-3)));
        request("/bin/true", List.of("true"), List.of(), -1, List.of(SpawnRequest.DEV_NULL)); // a slot on /dev/null
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
    void socketActivationAnnouncesTheFdsWithSystemdsVariables() {
        Credentials nobody = new Credentials(65534, 65534, new int[0]);
        SpawnRequest job = new SpawnRequest("/usr/bin/app", List.of("app", "--serve"),
                List.of("PATH=/bin", "LISTEN_PID=1", "LISTEN_FDS=9", "LISTEN_FDNAMES=old", "HOME=/"), "/srv", nobody,
                SpawnRequest.DEV_NULL, 7, 8, List.of(11, 12));
        SpawnRequest activated = job.socketActivated(List.of("web", "admin"));
        assertEquals(new SpawnRequest("/usr/bin/app", List.of("app", "--serve"),
                List.of("PATH=/bin", "HOME=/", "LISTEN_FDS=2", "LISTEN_FDNAMES=web:admin"), "/srv", null, nobody,
                SpawnRequest.DEV_NULL, 7, 8, List.of(11, 12), List.of("web", "admin")), activated);
        assertTrue(activated.throughHelper());
    }

    @Test
    void onlyRootJobsWithoutFdsSkipTheHelper() {
        SpawnRequest root = request("/bin/true", List.of("true"), List.of(), -1, List.of());
        assertFalse(root.throughHelper());
        Credentials groupOnly = new Credentials(0, 5, new int[] {5});
        assertTrue(new SpawnRequest("true", List.of("true"), List.of(), null, "/bin", groupOnly, -1, -1, -1, List.of(),
                List.of()).throughHelper());
    }

    @Test
    void aNameWithoutASearchPathIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SpawnRequest("true", List.of("true"), List.of(), null, null,
                null, -1, -1, -1, List.of(), List.of()));
        new SpawnRequest("true", List.of("true"), List.of(), null, "/bin", null, -1, -1, -1, List.of(), List.of());
    }

    @Test
    void socketActivationNeedsOneValidNamePerFd() {
        SpawnRequest none = request("/bin/app", List.of("app"), List.of(), -1, List.of());
        SpawnRequest two = request("/bin/app", List.of("app"), List.of(), -1, List.of(5, 6));
        assertEquals("socket activation needs at least one fd in passFds",
                assertThrows(IllegalArgumentException.class, () -> none.socketActivated(List.of())).getMessage());
        assertEquals("3 fd names for 2 fds; name at least the first and at most all",
                assertThrows(IllegalArgumentException.class, () -> two.socketActivated(List.of("a", "b", "c"))).getMessage());
        assertEquals("0 fd names for 2 fds; name at least the first and at most all",
                assertThrows(IllegalArgumentException.class, () -> two.socketActivated(List.of())).getMessage());
        // A ready fd after the named ones is passed but not announced.
        assertTrue(two.socketActivated(List.of("a")).envp().contains("LISTEN_FDS=1"));
        for (String bad : List.of("", "a:b", "tab\there", "x".repeat(256), "caf\u00e9")) {
            assertThrows(IllegalArgumentException.class, () -> two.socketActivated(List.of("ok", bad)), bad);
        }
        two.socketActivated(List.of("x".repeat(255), "with space"));
    }
}
