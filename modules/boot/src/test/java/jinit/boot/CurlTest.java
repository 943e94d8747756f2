package jinit.boot;

import static jinit.boot.JobAssertions.assertExited;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jinit.api.ExitStatus;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The API as a user drives it: with the real curl, whose --json sets the content type the API requires. */
class CurlTest extends OneDaemonPerClass {
    private static final Path CURL = Path.of("/usr/bin/curl");

    /** What curl printed: the body, the status it read, the headers, and its own exit status. */
    record Answer(int status, String body, String headers, ExitStatus curlExit, String stderr) {
        Map<String, Object> json() {
            return Json.object(body);
        }
    }

    @BeforeAll
    static void needsCurl() {
        assertTrue(Files.isExecutable(CURL), "these tests run the real curl: apt-get install curl");
    }

    /** Runs curl with {@code args} (the URL path last, without the host) and splits what it printed. */
    private Answer curl(String... args) throws Exception {
        Path headers = Files.createTempFile(Files.createDirectories(Daemon.WORK), "curl-headers-", ".txt");
        List<String> argv = new ArrayList<>(List.of(CURL.toString(), "-sS", "--max-time", "30", "-D", headers.toString(),
                "-w", "\n%{http_code}"));
        for (int i = 0; i < args.length - 1; i++) argv.add(args[i]);
        argv.add(daemon.baseUrl() + args[args.length - 1]);
        Processes.Result result = Processes.run(argv, Eventually.PATIENCE);
        String out = result.stdout();
        int newline = out.lastIndexOf('\n');
        Answer answer = new Answer(Integer.parseInt(out.substring(newline + 1).strip()), out.substring(0, newline),
                Files.readString(headers), result.status(), result.stderr());
        Files.delete(headers);
        return answer;
    }

    @Test
    void curlJsonPostsAJob() throws Exception {
        Answer created = curl("--json", "{\"exec\":\"/bin/true\"}", "/job");
        assertEquals(201, created.status(), created::toString);
        String id = (String) created.json().get("id");
        assertTrue(created.headers().contains("\r\nLocation: /job/" + id + "\r\n"), created::headers);
        assertExited(id, "{\"exec\":\"/bin/true\"}", "{\"code\":0}", daemon.awaitEnded(id));
    }

    @Test
    void curlDataWithoutJsonIs415AndSaysWhatToDo() throws Exception {
        Answer refused = curl("-d", "{\"exec\":\"/bin/true\"}", "/job");
        assertEquals(415, refused.status(), refused::toString);
        assertEquals(Json.write(Map.of("error", "the body must be sent as Content-Type: application/json (curl --json does this)")),
                refused.body());
    }

    @Test
    void curlPutsSignalsAndDeletesAJob() throws Exception {
        Answer created = curl("-X", "PUT", "--json", "{\"exec\":\"/bin/sleep\",\"args\":[\"1000\"]}", "/job/curl-sleep");
        assertEquals(201, created.status(), created::toString);
        assertEquals("running", created.json().get("state"));

        Answer signalled = curl("-X", "PUT", "/job/curl-sleep/sig/sigterm");
        assertEquals(204, signalled.status(), signalled::toString);
        assertEquals("", signalled.body());
        assertEquals(Map.of("signal", "TERM"), daemon.awaitEnded("curl-sleep").get("exit"));

        Answer deleted = curl("-X", "DELETE", "/job/curl-sleep");
        assertEquals(204, deleted.status(), deleted::toString);
        Answer gone = curl("-f", "/job/curl-sleep");
        assertEquals(404, gone.status(), gone::toString);
        assertEquals(new ExitStatus.Code(22), gone.curlExit(), "curl -f fails on a 404");
    }

    @Test
    void curlSendingAnOversizedBodyReadsThe413() throws Exception {
        Path big = Files.createTempFile(Files.createDirectories(Daemon.WORK), "big-", ".json");
        Files.writeString(big, "{\"exec\":\"/bin/true\"}" + " ".repeat(1024 * 1024));
        String message = Json.write(Map.of("error", "the body is larger than 65536 bytes"));
        for (List<String> options : List.of(List.<String>of(), List.of("-H", "Transfer-Encoding: chunked"))) {
            List<String> args = new ArrayList<>(options);
            args.addAll(List.of("--json", "@" + big, "/job"));
            Answer refused = curl(args.toArray(String[]::new));
            assertEquals(413, refused.status(), () -> options + ": " + refused);
            assertEquals(message, refused.body(), options::toString);
        }
        Files.delete(big);
    }
}
