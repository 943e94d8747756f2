package jinit.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 9: JSON's "\ud800" is an unpaired UTF-16 surrogate, a Java string with no UTF-8 form. In {@code exec} it
 * reached java.nio.file and came back a 500; in a stdio file path it was written as '?', so root's job opened
 * another file than the one named. Every such string is now a 400 naming its field, whoever sends it, and nothing
 * starts. The user is the real curl under setpriv, as in {@link AccessMatrixTest}.
 */
class UnpairedSurrogateTest extends OneDaemonPerClass {
    private int userUid;
    private int userGid;

    @BeforeAll
    void testUser() throws Exception {
        int[] ids = AccessMatrixTest.ensureTestUser();
        userUid = ids[0];
        userGid = ids[1];
    }

    /** Where a stdio or fds file named with a surrogate would land if it were written as '?'. */
    private static final Path SCRATCH = Daemon.WORK.resolve("surrogates");

    /** Specs with an unpaired surrogate in each string field, and the field the 400 must name. */
    private static Map<String, String> specs() {
        String file = SCRATCH + "/out-\\ud800";
        Map<String, String> specs = new LinkedHashMap<>();
        specs.put("{\"exec\":\"\\ud800\"}", "exec");
        specs.put("{\"exec\":\"/bin/true\\udc00\"}", "exec");
        specs.put("{\"exec\":\"/bin/true\",\"args\":[\"ok\",\"\\ud800\"]}", "args[1]");
        specs.put("{\"exec\":\"/bin/true\",\"cwd\":\"/\\ud800\"}", "cwd");
        specs.put("{\"exec\":\"/bin/true\",\"envs\":{\"A\":\"\\udfff\"}}", "envs.A");
        specs.put("{\"exec\":\"/bin/true\",\"user\":\"\\ud800\"}", "user");
        specs.put("{\"exec\":\"/bin/true\",\"group\":\"\\ud800\"}", "group");
        specs.put("{\"exec\":\"/bin/true\",\"stdio\":{\"stdout\":{\"file\":\"" + file + "\"}}}", "stdio.stdout.file");
        specs.put("{\"exec\":\"/bin/true\",\"fds\":[{\"file\":\"" + file + "\",\"mode\":\"w\"}]}", "fds[0].file");
        specs.put("{\"exec\":\"/bin/true\",\"fds\":[{\"listen\":\"unix:" + file + "\"}]}", "fds[0].listen");
        specs.put("{\"exec\":\"/bin/true\",\"fds\":[{\"listen\":\"tcp://127.0.0.1\\ud800:8080\"}]}", "fds[0].listen");
        return specs;
    }

    @Test
    void anUnpairedSurrogateInAnyFieldIsA400NamingItForUserAndRoot() throws Exception {
        Files.createDirectories(SCRATCH);
        try (Stream<Path> leftovers = Files.list(SCRATCH)) {
            for (Path leftover : leftovers.toList()) Files.delete(leftover); // from an earlier, failed run
        }
        int jobsBefore = daemon.jobs().size();
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, String> spec : specs().entrySet()) {
            String expected = "field '" + spec.getValue() + "' must be valid Unicode: it holds an unpaired surrogate";
            AccessMatrixTest.Answer user = AccessMatrixTest.curl(daemon, userUid, userGid, "POST", "/job",
                    Map.of("Content-Type", "application/json"), spec.getKey());
            Http.Response rootResponse = daemon.post("/job", spec.getKey());
            AccessMatrixTest.Answer root = new AccessMatrixTest.Answer(rootResponse.status(), rootResponse.text());
            for (AccessMatrixTest.Answer answer : List.of(user, root)) {
                if (answer.status() != 400 || !((String) answer.json().get("error")).contains(expected)) {
                    wrong.add((answer == user ? "uid " + userUid : "root") + " " + spec.getKey() + ": " + answer);
                }
            }
        }
        assertEquals(List.of(), wrong);
        assertEquals(jobsBefore, daemon.jobs().size(), "a spec with a surrogate started a job");
        try (Stream<Path> files = Files.list(SCRATCH)) {
            assertEquals(List.of(), files.toList(), "a file was opened under a name other than the one given");
        }
        assertTrue(daemon.console().lines().noneMatch(line -> line.contains("internal error")), daemon::console);
    }
}
