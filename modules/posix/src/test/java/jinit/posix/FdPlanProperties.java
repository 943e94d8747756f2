package jinit.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Runs {@link FdPlan}s against a model of the child's fd table, the way glibc's child performs them. */
class FdPlanProperties {
    private static final String DEV_NULL = "/dev/null";

    @Provide
    Arbitrary<Integer> stdio() {
        return Arbitraries.oneOf(
                Arbitraries.of(SpawnRequest.DEV_NULL, SpawnRequest.INHERIT), Arbitraries.integers().between(0, 12));
    }

    @Property
    void everyTargetGetsItsSourceAndNothingElseSurvives(
            @ForAll("stdio") int stdin,
            @ForAll("stdio") int stdout,
            @ForAll("stdio") int stderr,
            @ForAll @Size(max = 6) List<@IntRange(min = 0, max = 12) Integer> passFds) {
        // The parent has fds 0..12 open, each naming a distinct file.
        Map<Integer, String> parent = new HashMap<>();
        for (int fd = 0; fd <= 12; fd++) {
            parent.put(fd, "file" + fd);
        }
        Map<Integer, String> child = new HashMap<>(parent);

        FdPlan plan = FdPlan.of(stdin, stdout, stderr, passFds);
        for (FdPlan.Action action : plan.actions()) {
            switch (action) {
                case FdPlan.Dup2(int from, int to) -> {
                    assertTrue(child.containsKey(from), "dup2 from a closed fd " + from);
                    child.put(to, child.get(from));
                }
                case FdPlan.OpenDevNull(int to) -> child.put(to, DEV_NULL);
            }
        }
        child.keySet().removeIf(fd -> fd >= plan.closeFrom());

        int[] stdios = {stdin, stdout, stderr};
        Map<Integer, String> expected = new HashMap<>();
        for (int fd = 0; fd < 3; fd++) {
            expected.put(fd, switch (stdios[fd]) {
                case SpawnRequest.DEV_NULL -> DEV_NULL;
                case SpawnRequest.INHERIT -> parent.get(fd);
                default -> parent.get(stdios[fd]);
            });
        }
        for (int i = 0; i < passFds.size(); i++) {
            expected.put(3 + i, parent.get(passFds.get(i)));
        }
        assertEquals(expected, child);
        assertEquals(3 + passFds.size(), plan.closeFrom());
    }

    @Property
    void theCommonCaseNeedsNoDetour(@ForAll @Size(max = 4) List<@IntRange(min = 20, max = 1000) Integer> passFds) {
        FdPlan plan = FdPlan.of(30, 31, SpawnRequest.INHERIT, passFds);
        assertEquals(2 + passFds.size(), plan.actions().size());
    }
}
