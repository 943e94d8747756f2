package jinit.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * A test class whose tests share one ordinary daemon (not PID 1, {@code --stay}), started before
 * the first test and stopped after the last, plus the small helpers the job tests have in common.
 * Tests pick job ids of their own, so they do not disturb each other.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class OneDaemonPerClass {
    protected Daemon daemon;

    @BeforeAll
    void startDaemon() throws Exception {
        daemon = Daemon.start();
    }

    @AfterAll
    void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    /** A spec running {@code script} with /bin/sh, plus {@code fields} (e.g. {@code "\"restart\":\"always\""}). */
    static String sh(String script, String... fields) {
        StringBuilder spec = new StringBuilder("{\"exec\":\"/bin/sh\",\"args\":[\"-c\",").append(Json.write(script)).append(']');
        for (String field : fields) spec.append(',').append(field);
        return spec.append('}').toString();
    }

    /** A path for a test's scratch file under {@link Daemon#WORK}, with nothing there yet. */
    static Path scratchFile(String name) throws Exception {
        Path file = Files.createDirectories(Daemon.WORK).resolve(name);
        Files.deleteIfExists(file);
        return file;
    }

    /** POST /job/:id/stop with {@code query} ("" or "?timeout=…"), without a body. */
    Http.Response stop(String id, String query) throws Exception {
        return daemon.request("POST", "/job/" + id + "/stop" + query, Map.of(), null);
    }

    /**
     * GET /job/:id/log, which must answer 200 with text. With {@code follow} the answer ends only once
     * the job has ended and its pipes are drained, so an ended job's log is then complete.
     */
    Http.Response log(String id, boolean follow, String query) throws Exception {
        String parameters = (follow ? "follow=1" : "") + (follow && !query.isEmpty() ? "&" : "") + query;
        Http.Response response = daemon.get("/job/" + id + "/log" + (parameters.isEmpty() ? "" : "?" + parameters));
        assertEquals(200, response.status(), response::toString);
        assertEquals("text/plain; charset=utf-8", response.header("Content-Type"));
        return response;
    }

    /** The whole log of an ended job, as text. */
    String wholeLog(String id, String query) throws Exception {
        return log(id, true, query).text();
    }
}
