package jinit.boot;

import static jinit.boot.JobAssertions.assertExited;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import jinit.api.Signal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The daemon (not PID 1, so a subreaper) collects every process its jobs leave behind, records each
 * job's exit once, and leaves no zombie, even after a thousand jobs.
 */
class ReapingTest {
    private static final String TRUE = "{\"exec\":\"/bin/true\"}";

    private static Daemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        daemon = Daemon.start();
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    /** Every test ends with the daemon childless: every process it had, job or orphan, was reaped. */
    private static void awaitNoChildren() throws Exception {
        Eventually.await("the daemon to have no children, zombie or not", daemon::children, List::isEmpty);
    }

    @Test
    void aBackgroundedChildOfAnEndedJobLeavesNoZombie() throws Exception {
        String spec = "{\"exec\":\"/bin/sh\",\"args\":[\"-c\",\"sleep 0.2 & exit 0\"]}";
        daemon.start("background", spec);
        assertExited("background", spec, "{\"code\":0}", daemon.awaitEnded("background"));
        awaitNoChildren();
    }

    @Test
    void anOrphanIsAdoptedByTheDaemonAndReapedWhenItEnds() throws Exception {
        Path dir = Files.createTempDirectory(Files.createDirectories(Daemon.WORK), "orphan-");
        String spec = Json.write(Map.of("exec", "/bin/sh", "args", List.of("-c", "/bin/sleep 1000 & echo $! > orphan.pid"),
                "cwd", dir.toString()));
        daemon.start("parent", spec);
        assertEquals(Map.of("code", 0), daemon.awaitEnded("parent").get("exit"));
        int orphan = Integer.parseInt(Files.readString(dir.resolve("orphan.pid"), StandardCharsets.US_ASCII).strip());

        // Its parent is gone, so the kernel handed it to the nearest subreaper: the daemon.
        ProcFs.Proc adopted = Eventually.await("the orphan to run under the daemon", () -> ProcFs.proc(orphan).orElse(null),
                proc -> proc != null && proc.ppid() == daemon.pid() && proc.cmdline().equals(List.of("/bin/sleep", "1000")));
        assertFalse(adopted.zombie());
        assertFalse(daemon.jobs().stream().anyMatch(job -> Integer.valueOf(orphan).equals(job.get("pid"))), "the orphan is no job");

        Processes.POSIX.kill(orphan, Signal.TERM);
        Eventually.await("the orphan to be reaped", () -> ProcFs.exists(orphan), Predicate.isEqual(false));
        awaitNoChildren();
    }

    @Test
    void aThousandShortJobsOverKeptAliveConnectionsAreAllRecordedAndReaped() throws Exception {
        int clients = 4;
        int perClient = 250;
        List<Future<List<String>>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            for (int c = 0; c < clients; c++) {
                results.add(pool.submit(() -> {
                    List<String> ids = new ArrayList<>(perClient);
                    // One connection for all of this client's requests: it fails if the server closes it.
                    try (Http.Connection connection = Http.Connection.open(daemon.address())) {
                        for (int i = 0; i < perClient; i++) {
                            Http.Response response = connection.send("POST", "/job", Map.of("Content-Type", "application/json"),
                                    TRUE.getBytes(StandardCharsets.UTF_8));
                            assertEquals(201, response.status(), response::toString);
                            ids.add((String) response.json().get("id"));
                        }
                    }
                    return ids;
                }));
            }
        }
        Set<String> started = new HashSet<>();
        for (Future<List<String>> result : results) started.addAll(result.get());
        assertEquals(clients * perClient, started.size(), "distinct ids");

        List<Map<String, Object>> ours = Eventually.await("all 1000 jobs to end",
                () -> daemon.jobs().stream().filter(job -> started.contains((String) job.get("id"))).toList(),
                jobs -> jobs.size() == started.size() && jobs.stream().allMatch(job -> "exited".equals(job.get("state"))));
        for (Map<String, Object> job : ours) {
            assertExited((String) job.get("id"), TRUE, "{\"code\":0}", job);
        }
        awaitNoChildren();
    }
}
