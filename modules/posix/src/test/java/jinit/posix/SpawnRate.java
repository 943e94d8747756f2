package jinit.posix;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Prints how many /bin/true children per second are spawned and reaped end to end. Measures, never asserts. */
class SpawnRate {
    @Test
    void measure() throws Exception {
        SpawnRequest root = SpawnRequest.of("/bin/true", List.of("true"));
        SpawnRequest nobody = new SpawnRequest("/bin/true", List.of("true"), List.of("PATH=/bin"), "/",
                new Credentials(65534, 65534, new int[] {65534}),
                SpawnRequest.DEV_NULL, SpawnRequest.DEV_NULL, SpawnRequest.DEV_NULL, List.of());
        pipelined(root, 500); // warm-up: JIT
        report("pipelined, as root", 3000, () -> pipelined(root, 3000));
        report("pipelined, as uid 65534", 3000, () -> pipelined(nobody, 3000));
        report("one at a time, as root", 2000, () -> oneAtATime(root, 2000));
    }

    private interface Run {
        void run() throws Exception;
    }

    private static void report(String how, int n, Run run) throws Exception {
        long start = System.nanoTime();
        run.run();
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("spawn rate (%s): %d spawn+reap of /bin/true in %.2f s = %.0f/s%n", how, n, seconds, n / seconds);
    }

    /** Spawns all, then awaits all: the reaper works while the spawner spawns. */
    private static void pipelined(SpawnRequest request, int n) throws Exception {
        List<Integer> pids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            pids.add(Children.spawn(request));
        }
        for (int pid : pids) {
            Children.awaitExit(pid);
        }
    }

    /** Each spawn waits for the previous child's exit, like the C floor in FIELD-NOTES. */
    private static void oneAtATime(SpawnRequest request, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            Children.awaitExit(Children.spawn(request));
        }
    }
}
