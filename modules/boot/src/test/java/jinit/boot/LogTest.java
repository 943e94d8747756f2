package jinit.boot;

import static jinit.boot.JobAssertions.assertError;
import static jinit.boot.JobAssertions.assertNoContent;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * GET /job/:id/log (issue 4) with real jobs: stream filters, tail, timestamps, restart markers,
 * following like {@code curl -N}, a capped ring under 1 MiB of output, and the log's lifetime.
 */
class LogTest extends OneDaemonPerClass {
    private static final String TEXT = "text/plain; charset=utf-8";

    private Http.Response plainLog(String id, String query) throws Exception {
        return log(id, false, query);
    }

    @Test
    void stdoutAndStderrAreCapturedAndFilteredByStream() throws Exception {
        daemon.start("streams", sh("echo o1; echo e1 >&2; echo o2; echo e2 >&2"));
        daemon.awaitEnded("streams");
        assertEquals("o1\no2\n", wholeLog("streams", "stream=stdout"));
        assertEquals("e1\ne2\n", wholeLog("streams", "stream=stderr"));
        // The two pipes are read independently, so only each stream's own order is fixed.
        String both = wholeLog("streams", "");
        assertEquals(both, plainLog("streams", "stream=both").text());
        assertEquals(both, plainLog("streams", "").text());
        List<String> lines = Arrays.asList(both.split("\n"));
        assertEquals(Set.of("o1", "o2", "e1", "e2"), Set.copyOf(lines), both);
        assertEquals(4, lines.size(), both);
        assertTrue(lines.indexOf("o1") < lines.indexOf("o2") && lines.indexOf("e1") < lines.indexOf("e2"), both);
        assertEquals("0", plainLog("streams", "").header("X-Jinit-Dropped-Bytes"));
    }

    @Test
    void tailKeepsTheLastLines() throws Exception {
        daemon.start("tail", sh("for i in 1 2 3 4 5 6 7 8 9 10; do echo l$i; done; printf 'no newline'"));
        daemon.awaitEnded("tail");
        wholeLog("tail", ""); // drained
        assertEquals("l9\nl10\nno newline", plainLog("tail", "tail=3").text());
        assertEquals("no newline", plainLog("tail", "tail=1").text());
        assertEquals("", plainLog("tail", "tail=0").text());
        String all = "l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\nl10\nno newline";
        assertEquals(all, plainLog("tail", "tail=100").text());
        assertEquals(all, plainLog("tail", "").text());
    }

    @Test
    void badLogParametersAre400() throws Exception {
        daemon.start("params", "{\"exec\":\"/bin/true\"}");
        assertError(400, "stream must be 'stdout', 'stderr' or 'both'", daemon.get("/job/params/log?stream=all"));
        assertError(400, "query parameter 'tail' must be a whole number from 0 to 100000", daemon.get("/job/params/log?tail=-1"));
        assertError(400, "query parameter 'tail' must be a whole number from 0 to 100000", daemon.get("/job/params/log?tail=x"));
        assertError(400, "query parameter 'follow' must be 1 or 0", daemon.get("/job/params/log?follow=yes"));
        assertError(404, "no job 'no-such-job'", daemon.get("/job/no-such-job/log"));
    }

    private static final Pattern STAMPED = Pattern.compile("(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?Z) (.*)");

    @Test
    void timestampsPrefixEveryLineWithWhenItArrived() throws Exception {
        Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        daemon.start("stamped", sh("echo one; echo two >&2; echo three"));
        Map<String, Object> job = daemon.awaitEnded("stamped");
        String stamped = wholeLog("stamped", "timestamps=1");
        Instant after = Instant.now();

        List<String> lines = List.of(stamped.split("\n"));
        assertEquals(3, lines.size(), stamped);
        StringBuilder unstamped = new StringBuilder();
        for (String line : lines) {
            Matcher matcher = STAMPED.matcher(line);
            assertTrue(matcher.matches(), () -> "not a stamped line: '" + line + "' in\n" + stamped);
            Instant at = Instant.parse(matcher.group(1));
            assertFalse(at.isBefore(before), () -> line + " is stamped before the job started at " + job.get("startedAt"));
            assertFalse(at.isAfter(after), () -> line + " is stamped in the future");
            unstamped.append(matcher.group(2)).append('\n');
        }
        assertEquals(plainLog("stamped", "").text(), unstamped.toString());
        String stdout = plainLog("stamped", "stream=stdout&timestamps=1").text();
        assertTrue(stdout.matches("(?s)\\S+Z one\n\\S+Z three\n"), stdout);
    }

    @Test
    void restartsAreMarkedInTheLog() throws Exception {
        // A marker is written before the next process starts, so nothing of it can come first. Output of
        // the previous process could race its marker, were it still in the pipe when the exit is handled;
        // the pause before the exit lets the pump drain it long before.
        daemon.start("marked", sh("echo run; echo oops >&2; sleep 0.2; exit 2",
                "\"restart\":{\"policy\":\"on-failure\",\"delay\":250,\"factor\":1,\"burst\":2}"));
        Map<String, Object> job = daemon.awaitEnded("marked");
        assertEquals(2, job.get("restarts"));
        String markers = "[jinit] restart 1 after exit code 2\n[jinit] restart 2 after exit code 2\n"
                + "[jinit] giving up: the restart limit of 2 within 60000 ms is reached\n";
        String stdout = wholeLog("marked", "stream=stdout");
        assertEquals("run\n[jinit] restart 1 after exit code 2\nrun\n[jinit] restart 2 after exit code 2\nrun\n"
                + "[jinit] giving up: the restart limit of 2 within 60000 ms is reached\n", stdout);
        String stderr = plainLog("marked", "stream=stderr").text();
        assertEquals("oops\n[jinit] restart 1 after exit code 2\noops\n[jinit] restart 2 after exit code 2\noops\n"
                + "[jinit] giving up: the restart limit of 2 within 60000 ms is reached\n", stderr);
        List<String> both = plainLog("marked", "").text().lines().toList();
        assertEquals(markers.lines().toList(), both.stream().filter(line -> line.startsWith("[jinit] ")).toList(), both::toString);
        assertEquals(List.of("oops", "oops", "oops", "run", "run", "run"),
                both.stream().filter(line -> !line.startsWith("[jinit] ")).sorted().toList(), both::toString);
    }

    @Test
    void followSendsLinesWhileTheJobRunsAndEndsWhenItEnds() throws Exception {
        Path go = scratchFile("follow-go");
        daemon.start("follow", sh("echo first; while [ ! -e '" + go + "' ]; do sleep 0.02; done; echo second; echo third >&2"));
        try (Http.Streamed log = Http.stream(daemon.address(), "/job/follow/log?follow=1")) {
            assertEquals(200, log.status());
            assertEquals(TEXT, log.header("Content-Type"));
            assertEquals("chunked", log.header("Transfer-Encoding"));
            assertEquals("0", log.header("X-Jinit-Dropped-Bytes"));

            assertEquals("first", log.readLine());
            assertEquals("running", daemon.job("follow").get("state"), "the first line came while the job runs");

            Files.createFile(go);
            assertEquals(Set.of("second", "third"), Set.of(log.readLine(), log.readLine()));
            assertNull(log.readLine(), "the stream ends with the job");
            assertEquals("exited", daemon.job("follow").get("state"));
        }
        // A follower that comes after the end gets it all, and the stream ends at once.
        try (Http.Streamed late = Http.stream(daemon.address(), "/job/follow/log?follow=1&stream=stdout")) {
            assertEquals("first\nsecond\n", late.readRest());
        }
    }

    @Test
    void followWithTailStartsFromTheLastLines() throws Exception {
        Path go = scratchFile("follow-tail-go");
        daemon.start("follow-tail", sh("echo a; echo b; echo c; while [ ! -e '" + go + "' ]; do sleep 0.02; done; echo d"));
        Eventually.await("three lines in the log", () -> plainLog("follow-tail", "").text(), "a\nb\nc\n"::equals);
        try (Http.Streamed log = Http.stream(daemon.address(), "/job/follow-tail/log?follow=1&tail=1")) {
            assertEquals("c", log.readLine());
            Files.createFile(go);
            assertEquals("d", log.readLine());
            assertNull(log.readLine());
        }
    }

    @Test
    void theLogOutlivesTheJobUntilItIsDeleted() throws Exception {
        daemon.start("kept-log", sh("echo still here"));
        daemon.awaitEnded("kept-log");
        assertEquals("still here\n", wholeLog("kept-log", ""));
        assertEquals("still here\n", plainLog("kept-log", "").text());
        assertNoContent(daemon.delete("/job/kept-log"));
        assertError(404, "no job 'kept-log'", daemon.get("/job/kept-log/log"));
        assertError(404, "no job 'kept-log'", daemon.get("/job/kept-log/log?follow=1"));
    }

    @Test
    void aMebibyteIntoA64KiBLogKeepsTheNewestBytesThatFitAndCountsTheRest() throws Exception {
        byte[] output = numberedLines(1 << 20);
        Path input = scratchFile("mebibyte.txt");
        Files.write(input, output);

        daemon.start("mebibyte", "{\"exec\":\"/bin/cat\",\"args\":[" + Json.write(input.toString()) + "],\"logBytes\":65536}");
        Map<String, Object> job = daemon.awaitEnded("mebibyte");
        assertEquals(Map.of("code", 0), job.get("exit"), "cat wrote it all and ended: it never blocked on its output");

        Http.Response followed = log("mebibyte", true, "");
        Http.Response plain = plainLog("mebibyte", "");
        byte[] kept = plain.body();
        // logBytes is heap: 4 KiB blocks at 96 bytes of overhead each, the oldest dropped whole to make room.
        assertTrue(kept.length > 65536 - 2 * (4096 + 96) && kept.length < 65536, "kept " + kept.length + " bytes");
        assertArrayEquals(Arrays.copyOfRange(output, output.length - kept.length, output.length), kept,
                "the log is the newest bytes written");
        assertArrayEquals(kept, followed.body());
        // Counted once the pipe is drained (the follow above waited for that); a follow's own header is the
        // count when it began.
        assertEquals(Long.toString(output.length - (long) kept.length), plain.header("X-Jinit-Dropped-Bytes"));
        assertEquals(lastLine(output), plainLog("mebibyte", "tail=1").text());
    }

    /** "0000000 line\n", "0000001 line\n", …, cut to exactly {@code size} bytes. */
    private static byte[] numberedLines(int size) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(size + 16);
        for (int i = 0; out.size() < size; i++) out.writeBytes(String.format("%07d line\n", i).getBytes(StandardCharsets.US_ASCII));
        return Arrays.copyOf(out.toByteArray(), size);
    }

    private static String lastLine(byte[] text) {
        String all = new String(text, StandardCharsets.US_ASCII);
        return all.substring(all.lastIndexOf('\n', all.length() - 2) + 1);
    }
}
