package jinit.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
