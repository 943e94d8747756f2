package jinit.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The spec's "stdio" (issue 4): where a real job's stdin, stdout and stderr go. */
class StdioTest extends OneDaemonPerClass {
    private static String withStdio(String script, String stdio) {
        return sh(script, "\"stdio\":" + stdio);
    }

    /** One stream of the job's whole log, once it has ended and its pipes are drained. */
    private String streamLog(String id, String stream) throws Exception {
        return wholeLog(id, "stream=" + stream);
    }

    @Test
    void theDefaultsAreStdinNullAndBothOutputsToTheLog() throws Exception {
        String spec = "{\"exec\":\"/bin/sh\",\"args\":[\"-c\",\"read line || echo stdin is empty; echo to-err >&2\"]}";
        Map<String, Object> job = daemon.put("/job/defaults", spec).json();
        assertEquals(Map.of("stdin", "null", "stdout", "log", "stderr", "log"), ((Map<?, ?>) job.get("spec")).get("stdio"));
        daemon.awaitEnded("defaults");
        assertEquals("stdin is empty\n", streamLog("defaults", "stdout"));
        assertEquals("to-err\n", streamLog("defaults", "stderr"));
    }

    @Test
    void nullDiscardsAStream() throws Exception {
        int pid = daemon.start("null-out", withStdio("echo gone; echo kept >&2; exec sleep 60",
                "{\"stdout\":\"null\"}"));
        ProcFs.awaitExec(pid, List.of("sleep", "60"));
        assertEquals("/dev/null", ProcFs.fdTarget(pid, 0));
        assertEquals("/dev/null", ProcFs.fdTarget(pid, 1));
        assertTrue(ProcFs.fdTarget(pid, 2).startsWith("pipe:"), ProcFs.fdTarget(pid, 2));
        assertEquals(204, daemon.put("/job/null-out/sig/KILL").status());
        daemon.awaitEnded("null-out");
        assertEquals("kept\n", streamLog("null-out", "both"));
    }

    @Test
    void aFileWithAppendCollectsEveryRun() throws Exception {
        Path file = scratchFile("appended.txt");
        Files.writeString(file, "before\n");
        String target = "{\"file\":" + Json.write(file.toString()) + ",\"append\":true}";
        for (int run = 1; run <= 2; run++) {
            daemon.start("appender", withStdio("echo run " + run + "; echo err " + run + " >&2", "{\"stdout\":" + target + "}"));
            daemon.awaitEnded("appender");
        }
        assertEquals("before\nrun 1\nrun 2\n", Files.readString(file));
        assertEquals("err 2\n", streamLog("appender", "both"), "stderr still goes to the log");

        // Without append the file is truncated.
        daemon.start("appender", withStdio("echo run 3", "{\"stdout\":{\"file\":" + Json.write(file.toString()) + ",\"append\":false}}"));
        daemon.awaitEnded("appender");
        assertEquals("run 3\n", Files.readString(file));
    }

    @Test
    void aFileIsCreatedWithMode0644() throws Exception {
        Path file = scratchFile("created.txt");
        daemon.start("creator", withStdio("echo new", "{\"stdout\":{\"file\":" + Json.write(file.toString()) + "}}"));
        daemon.awaitEnded("creator");
        assertEquals("new\n", Files.readString(file));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void aFileAsStdinIsRead() throws Exception {
        Path file = scratchFile("input.txt");
        Files.writeString(file, "from a file\n");
        daemon.start("reader", withStdio("cat", "{\"stdin\":{\"file\":" + Json.write(file.toString()) + "}}"));
        daemon.awaitEnded("reader");
        assertEquals("from a file\n", streamLog("reader", "stdout"));
    }

    @Test
    void stderrToStdoutGoesIntoTheLogAsStdout() throws Exception {
        daemon.start("merged", withStdio("echo one; echo two >&2; echo three", "{\"stderr\":\"stdout\"}"));
        daemon.awaitEnded("merged");
        // One pipe for both, so the order is the order of writing.
        assertEquals("one\ntwo\nthree\n", streamLog("merged", "stdout"));
        assertEquals("", streamLog("merged", "stderr"));
        assertEquals("one\ntwo\nthree\n", streamLog("merged", "both"));
    }

    @Test
    void stderrToStdoutFollowsStdoutIntoAFile() throws Exception {
        Path file = scratchFile("merged.txt");
        daemon.start("merged-file", withStdio("echo one; echo two >&2",
                "{\"stdout\":{\"file\":" + Json.write(file.toString()) + "},\"stderr\":\"stdout\"}"));
        daemon.awaitEnded("merged-file");
        assertEquals("one\ntwo\n", Files.readString(file));
        assertEquals("", streamLog("merged-file", "both"));
    }

    @Test
    void inheritUsesInitsOwnStreams() throws Exception {
        daemon.start("inheritor", withStdio("echo inherited-stdout-7f3a; echo inherited-stderr-7f3a >&2",
                "{\"stdout\":\"inherit\",\"stderr\":\"inherit\"}"));
        daemon.awaitEnded("inheritor");
        Eventually.await("the job's line in init's stdout", () -> Files.readString(daemon.stdoutFile()),
                text -> text.contains("inherited-stdout-7f3a\n"));
        Eventually.await("the job's line in init's stderr", daemon::console, text -> text.contains("inherited-stderr-7f3a\n"));
        assertTrue(!Files.readString(daemon.stdoutFile()).contains("inherited-stderr-7f3a"), "stderr stayed stderr");
        assertEquals("", streamLog("inheritor", "both"));
    }
}
