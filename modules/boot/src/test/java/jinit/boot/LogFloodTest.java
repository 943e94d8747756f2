package jinit.boot;

import static jinit.boot.AccessMatrixTest.NOBODY;
import static jinit.boot.AccessMatrixTest.NOGROUP;
import static jinit.boot.JobAssertions.assertNoContent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jinit.api.ExitStatus;
import org.junit.jupiter.api.Test;

/**
 * Issue 10, item 3, the attack itself: nobody runs jobs that write their logs as expensively as they can (a byte
 * per write(2), alternating stdout and stderr, into 16 MiB logs) and reads them back stamped, a line per byte.
 * Init must keep answering root, and its heap must stay within the log budget plus what it needs anyway, as its
 * own GC log shows.
 */
class LogFloodTest {
    private static final long BUDGET = 32L << 20;
    /** The live heap of a daemon with a few jobs and no logs is about 7 MB; the rest is room for requests in flight. */
    private static final long HEAP_BESIDES_LOGS = 24L << 20;
    private static final Pattern FULL_GC = Pattern.compile("Pause Full \\(.*?\\) (\\d+)([KMG])->(\\d+)([KMG])\\(");

    @Test
    void nobodysFloodOfOneByteWritesStaysWithinTheBudgetAndRootIsStillAnswered() throws Exception {
        Path gcLog = OneDaemonPerClass.scratchFile("log-flood-gc.log");
        // The image's collector and young generation, in half its heap: a log that outgrew the budget by half
        // would not fit, and the full collections that show the live heap come every few seconds.
        Daemon daemon = Daemon.start(Daemon.Config.defaults().withJvmOptions(
                "-Xmx64m", "-Xmn4m", "-XX:+UseSerialGC", "-Xlog:gc:file=" + gcLog));
        try {
            String newlines = Floods.startAsNobody(daemon, "flood-nl", Floods.NEWLINES);
            List<String> floods = List.of(Floods.startAsNobody(daemon, "flood-a", Floods.ALTERNATE),
                    Floods.startAsNobody(daemon, "flood-b", Floods.ALTERNATE), newlines);
            // Three logs of 16 MiB want 48: each drops bytes once the budget (or its own limit) is reached.
            for (String id : floods) {
                Eventually.await(id + " to fill its log", Duration.ofSeconds(120), () -> droppedBytes(daemon, id), dropped -> dropped > 0);
            }
            int fullGcsBefore = fullGcHeapsAfter(gcLog).size();

            List<Integer> readers = new ArrayList<>();
            List<Path> readerOutputs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Path out = OneDaemonPerClass.scratchFile("log-flood-read-" + i + ".txt");
                readerOutputs.add(out);
                readers.add(Processes.spawn(AccessMatrixTest.curlAs(NOBODY, NOGROUP, "--max-time", "15", "-o", "/dev/null",
                        "-w", "%{http_code} %{size_download}", daemon.baseUrl() + "/job/" + newlines + "/log?timestamps=1"),
                        System.getenv(), out, OneDaemonPerClass.scratchFile("log-flood-read-" + i + ".err")));
            }

            // Root is still served, and the pump still reads: a fresh job's line reaches its log.
            assertEquals(200, daemon.get("/jobs").status());
            Http.Response started = daemon.post("/job", "{\"exec\":\"/bin/echo\",\"args\":[\"still here\"]}");
            assertEquals(201, started.status(), started::toString);
            String id = (String) started.json().get("id");
            daemon.awaitEnded(id);
            assertEquals("still here\n", daemon.get("/job/" + id + "/log?follow=1").text());
            assertNoContent(daemon.delete("/job/" + id));

            for (int i = 0; i < readers.size(); i++) {
                ExitStatus status = Processes.awaitExit(readers.get(i), Duration.ofSeconds(60));
                String result = Files.readString(readerOutputs.get(i));
                // 28: curl's --max-time ended a read that was still going, which is as good.
                assertTrue(status.equals(new ExitStatus.Code(0)) || status.equals(new ExitStatus.Code(28)), status + ": " + result);
                assertTrue(result.matches("200 [1-9]\\d*"), "a stamped read of 16 MiB of newlines: " + result);
            }

            // The flood goes on until a full collection after the logs filled up shows what init really holds.
            List<Long> heaps = Eventually.await("a full GC after the logs filled", Duration.ofSeconds(120),
                    () -> fullGcHeapsAfter(gcLog), all -> all.size() > fullGcsBefore);
            long largest = heaps.stream().mapToLong(Long::longValue).max().orElseThrow();
            assertTrue(largest <= BUDGET + HEAP_BESIDES_LOGS, "live heap after full GCs " + heaps + "; the budget is " + BUDGET);

            assertEquals(200, daemon.get("/jobs").status());
            assertTrue(daemon.exit().isEmpty(), "the daemon is still running");
            daemon.killRunningJobs();
            assertFalse(daemon.console().contains("OutOfMemoryError"), daemon.console());
            assertFalse(daemon.console().contains("died"), daemon.console());
        } finally {
            try {
                daemon.killRunningJobs();
            } finally {
                daemon.close();
            }
        }
    }

    private static long droppedBytes(Daemon daemon, String id) throws Exception {
        Http.Response response = daemon.get("/job/" + id + "/log?tail=0");
        assertEquals(200, response.status(), response::toString);
        return Long.parseLong(response.header("X-Jinit-Dropped-Bytes"));
    }

    /** The heap after each full collection so far, in bytes, from the daemon's -Xlog:gc file. */
    private static List<Long> fullGcHeapsAfter(Path gcLog) throws Exception {
        List<Long> heaps = new ArrayList<>();
        if (!Files.exists(gcLog)) return heaps;
        Matcher matcher = FULL_GC.matcher(Files.readString(gcLog));
        while (matcher.find()) heaps.add(Long.parseLong(matcher.group(3)) << shift(matcher.group(4)));
        return heaps;
    }

    private static int shift(String unit) {
        return switch (unit) {
            case "K" -> 10;
            case "M" -> 20;
            default -> 30;
        };
    }
}
