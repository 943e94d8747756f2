package jinit.boot;

import static jinit.boot.JobAssertions.assertError;
import static jinit.boot.JobAssertions.assertErrorContaining;
import static jinit.boot.JobAssertions.assertExited;
import static jinit.boot.JobAssertions.assertNoContent;
import static jinit.boot.JobAssertions.assertRunning;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every route and every error code of the API contract (issue 2), against the real daemon. */
class ApiTest {
    private static final String TRUE = "{\"exec\":\"/bin/true\"}";
    private static final String TRUE_SPEC = "{\"exec\":\"/bin/true\",\"args\":[],\"cwd\":\"/\",\"envs\":null,\"user\":null,\"group\":null}";
    private static final String SLEEP = "{\"exec\":\"/bin/sleep\",\"args\":[\"1000\"]}";
    private static final String SLEEP_SPEC = "{\"exec\":\"/bin/sleep\",\"args\":[\"1000\"],\"cwd\":\"/\",\"envs\":null,\"user\":null,\"group\":null}";
    private static final String INVALID_ID = "invalid job id: ids match [A-Za-z0-9][A-Za-z0-9._-]{0,63}";
    private static final Map<String, String> JSON = Map.of("Content-Type", "application/json");

    /** A plain file without any execute bit; root cannot exec it either. */
    private static final Path NOT_EXECUTABLE = Daemon.WORK.resolve("not-executable");

    private static Daemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        Files.createDirectories(Daemon.WORK);
        Files.writeString(NOT_EXECUTABLE, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(NOT_EXECUTABLE, PosixFilePermissions.fromString("rw-r--r--"));
        daemon = Daemon.start();
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    /** Ends a job started by a test, so that later counts of the daemon's children are not disturbed. */
    private static void kill(String id) throws Exception {
        assertNoContent(daemon.put("/job/" + id + "/sig/KILL"));
        daemon.awaitEnded(id);
    }

    /** A 409 about job {@code id} and its running state; its exact words are the supervisor's to choose. */
    private static void assertConflict(String id, Http.Response response) {
        String message = assertErrorContaining(409, "'" + id + "'", response);
        assertTrue(message.contains("running"), message);
    }

    private static List<Object> ids() throws Exception {
        return daemon.jobs().stream().map(job -> job.get("id")).toList();
    }

    private static Set<Integer> childPids() throws Exception {
        Set<Integer> pids = new HashSet<>();
        for (ProcFs.Proc child : daemon.children()) pids.add(child.pid());
        return pids;
    }

    // ---- POST /job, GET /job/:id, GET /jobs ----

    @Test
    void postStartsAJobAndAnswers201WithItsLocation() throws Exception {
        Http.Response created = daemon.post("/job", TRUE);
        assertEquals(201, created.status(), created::toString);
        assertEquals("application/json", created.header("Content-Type"));
        Map<String, Object> job = created.json();
        String id = (String) job.get("id");
        assertEquals("/job/" + id, created.header("Location"));
        assertRunning(id, TRUE_SPEC, job);

        Map<String, Object> ended = daemon.awaitEnded(id);
        assertExited(id, TRUE_SPEC, "{\"code\":0}", ended);
        assertEquals(job.get("startedAt"), ended.get("startedAt"));
        Http.Response located = daemon.get(created.header("Location"));
        assertEquals(200, located.status());
        assertEquals("application/json", located.header("Content-Type"));
        assertEquals(ended, located.json());
    }

    @Test
    void trueRecordsExitCodeZero() throws Exception {
        daemon.start("true-zero", TRUE);
        assertExited("true-zero", TRUE_SPEC, "{\"code\":0}", daemon.awaitEnded("true-zero"));
    }

    @Test
    void exitSevenRecordsCodeSeven() throws Exception {
        String spec = "{\"exec\":\"/bin/sh\",\"args\":[\"-c\",\"exit 7\"]}";
        daemon.start("exit-seven", spec);
        assertExited("exit-seven", spec, "{\"code\":7}", daemon.awaitEnded("exit-seven"));
    }

    @Test
    void generatedIdsNeverCollideWithChosenOnes() throws Exception {
        String first = (String) daemon.post("/job", TRUE).json().get("id");
        assertTrue(first.matches("true-\\d+"), first);
        int n = Integer.parseInt(first.substring("true-".length()));
        Set<String> taken = new HashSet<>(List.of(first));
        for (int i = 1; i <= 3; i++) {
            taken.add("true-" + (n + i));
            daemon.start("true-" + (n + i), TRUE);
        }
        for (int i = 0; i < 3; i++) {
            String generated = (String) daemon.post("/job", TRUE).json().get("id");
            assertTrue(taken.add(generated), () -> "generated id " + generated + " collides with one of " + taken);
        }
        List<String> ids = daemon.jobs().stream().map(job -> (String) job.get("id")).toList();
        assertEquals(ids.size(), new HashSet<>(ids).size(), () -> "duplicate ids in " + ids);
    }

    @Test
    void getJobsListsJobsOldestFirst() throws Exception {
        for (String id : List.of("order-a", "order-b", "order-c")) {
            daemon.start(id, TRUE);
            daemon.awaitEnded(id);
        }
        Http.Response list = daemon.get("/jobs");
        assertEquals(200, list.status());
        assertEquals("application/json", list.header("Content-Type"));
        assertEquals(List.of("order-a", "order-b", "order-c"), idsStartingWith(Json.array(list.text()), "order-"));
        List<Instant> starts = Json.array(list.text()).stream().map(job -> Instant.parse((String) job.get("startedAt"))).toList();
        assertEquals(starts.stream().sorted().toList(), starts, "GET /jobs is in start order");

        // A fresh start under an ended job's id is the newest job.
        daemon.start("order-a", TRUE);
        assertEquals(List.of("order-b", "order-c", "order-a"), idsStartingWith(daemon.jobs(), "order-"));
    }

    @Test
    void aLongListIsWholeAndSized() throws Exception {
        // GET /jobs is sent as each job's cached bytes, not as one body: it must still be one exact array.
        List<String> started = new java.util.ArrayList<>();
        for (int i = 0; i < 150; i++) {
            started.add("many-" + i);
            daemon.start("many-" + i, TRUE);
        }
        for (String id : started) daemon.awaitEnded(id);
        Http.Response list = daemon.get("/jobs");
        assertEquals(200, list.status());
        assertEquals("application/json", list.header("Content-Type"));
        assertEquals(Integer.toString(list.body().length), list.header("Content-length"));
        assertEquals(started, idsStartingWith(Json.array(list.text()), "many-"));
        // The list again, now from cached bytes, is the same list; and each job alone is its element.
        assertEquals(list.text(), daemon.get("/jobs").text());
        for (String id : started) {
            Map<String, Object> alone = daemon.get("/job/" + id).json();
            assertEquals(id, alone.get("id"));
            assertEquals(204, daemon.delete("/job/" + id).status());
        }
        assertTrue(idsStartingWith(daemon.jobs(), "many-").isEmpty(), "deleted jobs leave the list");
    }

    private static List<String> idsStartingWith(List<Map<String, Object>> jobs, String prefix) {
        return jobs.stream().map(job -> (String) job.get("id")).filter(id -> id.startsWith(prefix)).toList();
    }

    @Test
    void getUnknownJobIs404() throws Exception {
        assertError(404, "no job 'never-started'", daemon.get("/job/never-started"));
    }

    // ---- PUT /job/:id ----

    @Test
    void putStartsAJobUnderItsIdAndAnswers201() throws Exception {
        Http.Response created = daemon.put("/job/put-new", SLEEP);
        assertEquals(201, created.status(), created::toString);
        assertEquals("application/json", created.header("Content-Type"));
        assertRunning("put-new", SLEEP_SPEC, created.json());
        int pid = (Integer) created.json().get("pid");
        ProcFs.awaitExec(pid, List.of("/bin/sleep", "1000"));
        assertEquals(daemon.pid(), ProcFs.proc(pid).orElseThrow().ppid(), "the job is the daemon's child");
        assertEquals(created.json(), daemon.job("put-new"));
        kill("put-new");
    }

    @Test
    void putOverARunningJobIs409AndStartsNothing() throws Exception {
        int pid = daemon.start("busy", SLEEP);
        Set<Integer> before = childPids();
        List<String> other = List.of("/bin/sleep", "1001");

        Http.Response refused = daemon.put("/job/busy", "{\"exec\":\"/bin/sleep\",\"args\":[\"1001\"]}");

        assertConflict("busy", refused);
        assertTrue(before.containsAll(childPids()), "the daemon has no new child");
        assertEquals(List.of(), ProcFs.withCmdline(other), "no process runs the refused spec");
        Map<String, Object> job = daemon.job("busy");
        assertRunning("busy", SLEEP_SPEC, job);
        assertEquals(pid, job.get("pid"));
        kill("busy");
    }

    @Test
    void putOverAnEndedJobStartsItAfresh() throws Exception {
        String exitFour = "{\"exec\":\"/bin/sh\",\"args\":[\"-c\",\"exit 4\"]}";
        int firstPid = daemon.start("again", exitFour);
        Map<String, Object> ended = daemon.awaitEnded("again");
        assertExited("again", exitFour, "{\"code\":4}", ended);

        Http.Response created = daemon.put("/job/again", SLEEP);

        assertEquals(201, created.status(), created::toString);
        Map<String, Object> job = created.json();
        assertRunning("again", SLEEP_SPEC, job);
        assertNotEquals(firstPid, job.get("pid"));
        assertTrue(Instant.parse((String) job.get("startedAt")).isAfter(Instant.parse((String) ended.get("startedAt"))));
        ProcFs.awaitExec((Integer) job.get("pid"), List.of("/bin/sleep", "1000"));
        assertEquals(1, daemon.jobs().stream().filter(j -> j.get("id").equals("again")).count(), "one job per id");
        kill("again");
    }

    // ---- PUT /job/:id/sig/:sig ----

    @ParameterizedTest
    @CsvSource({"TERM, TERM", "SIGTERM, TERM", "sigterm, TERM", "Term, TERM", "15, TERM",
                "KILL, KILL", "9, KILL", "SIGUSR1, USR1", "sighup, HUP"})
    void signalByNameOrNumberIs204AndEndsTheJob(String signal, String recorded) throws Exception {
        String id = "sig-" + signal.toLowerCase();
        daemon.start(id, SLEEP);
        assertNoContent(daemon.put("/job/" + id + "/sig/" + signal));
        assertExited(id, SLEEP_SPEC, "{\"signal\":\"" + recorded + "\"}", daemon.awaitEnded(id));
    }

    @ParameterizedTest
    @ValueSource(strings = {"SIGFOO", "TERMS", "0", "65", "-15", "SIG", "1.5"})
    void unknownSignalIs400AndSendsNothing(String signal) throws Exception {
        int pid = daemon.start("sig-unknown", SLEEP);
        assertError(400, "unknown signal '" + signal + "': use a name like TERM or SIGTERM, or a number from 1 to 64",
                daemon.put("/job/sig-unknown/sig/" + signal));
        assertRunning("sig-unknown", SLEEP_SPEC, daemon.job("sig-unknown"));
        ProcFs.awaitExec(pid, List.of("/bin/sleep", "1000"));
        assertFalse(ProcFs.proc(pid).orElseThrow().zombie(), "the job's process lives on");
        kill("sig-unknown");
    }

    @Test
    void signalToUnknownJobIs404() throws Exception {
        assertError(404, "no job 'nobody-here'", daemon.put("/job/nobody-here/sig/TERM"));
    }

    @Test
    void signalToEndedJobIs409AndLeavesItAsItWas() throws Exception {
        daemon.start("sig-ended", TRUE);
        Map<String, Object> ended = daemon.awaitEnded("sig-ended");
        assertConflict("sig-ended", daemon.put("/job/sig-ended/sig/TERM"));
        assertEquals(ended, daemon.job("sig-ended"));
    }

    // ---- DELETE /job/:id ----

    @Test
    void deleteEndedJobIs204ThenItIsGone() throws Exception {
        daemon.start("to-delete", TRUE);
        daemon.awaitEnded("to-delete");
        assertNoContent(daemon.delete("/job/to-delete"));
        assertError(404, "no job 'to-delete'", daemon.get("/job/to-delete"));
        assertFalse(daemon.jobs().stream().anyMatch(job -> job.get("id").equals("to-delete")));
        assertError(404, "no job 'to-delete'", daemon.delete("/job/to-delete"));
    }

    @Test
    void deleteRunningJobIs409() throws Exception {
        daemon.start("undeletable", SLEEP);
        assertConflict("undeletable", daemon.delete("/job/undeletable"));
        assertRunning("undeletable", SLEEP_SPEC, daemon.job("undeletable"));
        kill("undeletable");
        assertNoContent(daemon.delete("/job/undeletable"));
    }

    @Test
    void deleteUnknownJobIs404() throws Exception {
        assertError(404, "no job 'ghost'", daemon.delete("/job/ghost"));
    }

    // ---- routing ----

    @ParameterizedTest
    @CsvSource({"GET, /", "GET, /nothing", "GET, /jobs/x", "GET, /job/a/sig", "PUT, /job/a/sig/TERM/x",
                "GET, /job/a/b", "POST, /", "DELETE, /jobs/a/b"})
    void unknownRouteIs404(String method, String path) throws Exception {
        assertError(404, "no route " + method + " " + path, daemon.request(method, path, Map.of(), null));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "POST | /jobs | GET", "DELETE | /jobs | GET", "PUT | /jobs | GET",
        "GET | /job | POST", "PUT | /job | POST", "DELETE | /job | POST",
        "POST | /job/some-id | GET, PUT, DELETE", "PATCH | /job/some-id | GET, PUT, DELETE",
        "GET | /job/some-id/sig/TERM | PUT", "POST | /job/some-id/sig/TERM | PUT", "DELETE | /job/some-id/sig/TERM | PUT"})
    void wrongMethodIs405WithAllow(String method, String path, String allow) throws Exception {
        Http.Response response = daemon.request(method, path, Map.of(), null);
        assertError(405, "method not allowed; use " + allow, response);
        assertEquals(allow, response.header("Allow"));
    }

    // ---- ids ----

    static Stream<String> invalidIds() {
        return Stream.of("..%2Fx", "a".repeat(65), "-a", ".a", "_a", "a%20b", "a%2Fb", "%C3%A9t%C3%A9", "a:b");
    }

    @ParameterizedTest
    @MethodSource("invalidIds")
    void invalidIdIs400OnEveryJobRoute(String id) throws Exception {
        int jobs = daemon.jobs().size();
        assertError(400, INVALID_ID, daemon.get("/job/" + id));
        assertError(400, INVALID_ID, daemon.put("/job/" + id, TRUE));
        assertError(400, INVALID_ID, daemon.delete("/job/" + id));
        assertError(400, INVALID_ID, daemon.put("/job/" + id + "/sig/TERM"));
        assertEquals(jobs, daemon.jobs().size(), "nothing was started");
    }

    @Test
    void longestValidIdIs64Characters() throws Exception {
        String id = "A" + "z9._-".repeat(12) + "abc";
        assertEquals(64, id.length());
        daemon.start(id, TRUE);
        assertExited(id, TRUE_SPEC, "{\"code\":0}", daemon.awaitEnded(id));
        assertNoContent(daemon.delete("/job/" + id));
    }

    // ---- bodies ----

    @ParameterizedTest
    @ValueSource(strings = {"{\"exec\":", "not json", "{\"exec\":\"/bin/true\"} {}", "{\"exec\":\"/bin/true\",}",
                            "{'exec':'/bin/true'}", "{\"exec\":\"/bin/true\",\"exec\":\"/bin/false\"}"})
    void malformedJsonIs400(String body) throws Exception {
        int jobs = daemon.jobs().size();
        assertErrorContaining(400, "malformed JSON", daemon.post("/job", body));
        assertErrorContaining(400, "malformed JSON", daemon.put("/job/malformed", body));
        assertEquals(jobs, daemon.jobs().size(), "nothing was started");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[]", "\"/bin/true\"", "42", "null", "[{\"exec\":\"/bin/true\"}]"})
    void aBodyThatIsNotAnObjectIs400(String body) throws Exception {
        assertError(400, "the body must be a JSON object", daemon.post("/job", body));
    }

    static Stream<Arguments> badFields() {
        return Stream.of(
                Arguments.of("{}", "field 'exec' is required"),
                Arguments.of("{\"args\":[\"x\"]}", "field 'exec' is required"),
                Arguments.of("{\"exec\":null}", "field 'exec' is required"),
                Arguments.of("{\"exec\":1}", "field 'exec' must be a string"),
                Arguments.of("{\"exec\":[\"/bin/true\"]}", "field 'exec' must be a string"),
                Arguments.of("{\"exec\":\"\"}", "field 'exec' must not be empty"),
                Arguments.of("{\"exec\":\"/bin/true\",\"args\":\"-x\"}", "field 'args' must be an array of strings"),
                Arguments.of("{\"exec\":\"/bin/true\",\"args\":[\"a\",2]}", "field 'args[1]' must be a string"),
                Arguments.of("{\"exec\":\"/bin/true\",\"cwd\":5}", "field 'cwd' must be a string"),
                Arguments.of("{\"exec\":\"/bin/true\",\"envs\":[\"A=1\"]}", "field 'envs' must be an object of strings"),
                Arguments.of("{\"exec\":\"/bin/true\",\"envs\":{\"A\":1}}", "field 'envs.A' must be a string"),
                Arguments.of("{\"exec\":\"/bin/true\",\"env\":{\"A\":true}}", "field 'env.A' must be a string"),
                Arguments.of("{\"exec\":\"/bin/true\",\"user\":true}", "field 'user' must be a name or a numeric id"),
                Arguments.of("{\"exec\":\"/bin/true\",\"user\":-1}", "field 'user' must not be negative"),
                Arguments.of("{\"exec\":\"/bin/true\",\"group\":1.5}", "field 'group' must be a name or a numeric id"),
                Arguments.of("{\"exec\":\"/bin/true\",\"bogus\":1}", "unknown field 'bogus'"),
                Arguments.of("{\"exec\":\"/bin/true\",\"Exec\":\"/bin/true\"}", "unknown field 'Exec'"),
                Arguments.of("{\"exec\":\"/bin/true\",\"environment\":{}}", "unknown field 'environment'"));
    }

    @ParameterizedTest
    @MethodSource("badFields")
    void aFieldOfTheWrongTypeOrNameIs400NamingIt(String body, String message) throws Exception {
        int jobs = daemon.jobs().size();
        assertError(400, message, daemon.post("/job", body));
        assertError(400, message, daemon.put("/job/bad-field", body));
        assertEquals(jobs, daemon.jobs().size(), "nothing was started");
    }

    /** A valid spec padded with spaces to exactly {@code size} bytes. */
    private static byte[] paddedSpec(int size) {
        byte[] spec = TRUE.getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[size];
        java.util.Arrays.fill(body, (byte) ' ');
        System.arraycopy(spec, 0, body, 0, spec.length);
        return body;
    }

    @Test
    void aBodyOf64KiBIsAccepted() throws Exception {
        Http.Response response = daemon.request("PUT", "/job/big-ok", JSON, paddedSpec(64 * 1024));
        assertEquals(201, response.status(), response::toString);
        daemon.awaitEnded("big-ok");
    }

    @Test
    void aBodyOverTheLimitIs413WhateverItsLengthHeaderSays() throws Exception {
        int jobs = daemon.jobs().size();
        String message = "the body is larger than 65536 bytes";
        // Declared in Content-Length.
        assertError(413, message, daemon.request("PUT", "/job/big", JSON, paddedSpec(64 * 1024 + 1)));
        // Sent chunked, so only counting the bytes can tell.
        assertError(413, message, chunked("/job/big", paddedSpec(64 * 1024 + 1)));
        assertError(413, message, chunked("/job", paddedSpec(1024 * 1024)));
        assertEquals(jobs, daemon.jobs().size(), "nothing was started");
        assertError(404, "no job 'big'", daemon.get("/job/big"));
    }

    private static Http.Response chunked(String path, byte[] body) throws Exception {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        String method = path.equals("/job") ? "POST" : "PUT";
        request.writeBytes((method + " " + path + " HTTP/1.1\r\nHost: " + daemon.address().getAddress().getHostAddress()
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        for (int offset = 0; offset < body.length; offset += 8192) {
            int size = Math.min(8192, body.length - offset);
            request.writeBytes((Integer.toHexString(size) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            request.write(body, offset, size);
            request.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        request.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        try (Http.Connection connection = Http.Connection.open(daemon.address())) {
            return connection.sendRaw(request.toByteArray(), false);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                            "application/jsonx", "text/json", ""})
    void aBodyThatIsNotDeclaredJsonIs415(String contentType) throws Exception {
        Map<String, String> headers = contentType.isEmpty() ? Map.of() : Map.of("Content-Type", contentType);
        String message = "the body must be sent as Content-Type: application/json (curl --json does this)";
        int jobs = daemon.jobs().size();
        assertError(415, message, daemon.request("POST", "/job", headers, TRUE.getBytes(StandardCharsets.UTF_8)));
        assertError(415, message, daemon.request("PUT", "/job/typed", headers, TRUE.getBytes(StandardCharsets.UTF_8)));
        assertEquals(jobs, daemon.jobs().size(), "nothing was started");
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"})
    void jsonWithParametersOrAnyCaseIsAccepted(String contentType) throws Exception {
        Http.Response response = daemon.request("POST", "/job", Map.of("Content-Type", contentType), TRUE.getBytes(StandardCharsets.UTF_8));
        assertEquals(201, response.status(), response::toString);
        daemon.awaitEnded((String) response.json().get("id"));
    }

    // ---- specs that cannot start ----

    static Stream<Arguments> unstartable() {
        return Stream.of(
                Arguments.of("{\"exec\":\"/nonexistent/jinit-it\"}", "No such file or directory (ENOENT)"),
                Arguments.of("{\"exec\":\"jinit-it-no-such-program\"}", "(ENOENT)"),
                Arguments.of("{\"exec\":\"" + NOT_EXECUTABLE + "\"}", "Permission denied (EACCES)"),
                Arguments.of("{\"exec\":\"/\"}", "Permission denied (EACCES)"),
                Arguments.of("{\"exec\":\"/bin/true\",\"cwd\":\"/nonexistent/jinit-it\"}", "No such file or directory (ENOENT)"),
                Arguments.of("{\"exec\":\"/bin/true\",\"cwd\":\"" + NOT_EXECUTABLE + "\"}", "Not a directory (ENOTDIR)"),
                Arguments.of("{\"exec\":\"/bin/true\",\"user\":\"jinit-it-no-such-user\"}", "unknown user 'jinit-it-no-such-user'"),
                Arguments.of("{\"exec\":\"/bin/true\",\"group\":\"jinit-it-no-such-group\"}", "unknown group 'jinit-it-no-such-group'"));
    }

    @ParameterizedTest
    @MethodSource("unstartable")
    void aSpecThatCannotStartIs422AndLeavesNoJob(String spec, String reason) throws Exception {
        Set<Integer> children = childPids();
        List<Object> ids = ids();

        assertErrorContaining(422, reason, daemon.put("/job/unstartable", spec));
        assertErrorContaining(422, reason, daemon.post("/job", spec));

        assertError(404, "no job 'unstartable'", daemon.get("/job/unstartable"));
        assertEquals(ids, ids(), "no job was added");
        assertTrue(children.containsAll(childPids()), "the daemon has no new child");
    }

    @Test
    void aFailedStartKeepsTheEndedJobOfThatId() throws Exception {
        daemon.start("kept", TRUE);
        Map<String, Object> ended = daemon.awaitEnded("kept");
        assertErrorContaining(422, "(ENOENT)", daemon.put("/job/kept", "{\"exec\":\"/nonexistent/jinit-it\"}"));
        assertEquals(ended, daemon.job("kept"));
    }

    // ---- keep-alive ----

    @Test
    void oneConnectionServesManyRequests() throws Exception {
        try (Http.Connection connection = Http.Connection.open(daemon.address())) {
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                statuses.add(connection.send("GET", "/jobs", Map.of(), null).status());
                statuses.add(connection.send("GET", "/job/never-started", Map.of(), null).status());
                statuses.add(connection.send("PATCH", "/jobs", Map.of(), null).status());
            }
            assertEquals(Stream.iterate(0, i -> i + 1).limit(20).flatMap(i -> Stream.of(200, 404, 405)).toList(), statuses);
        }
    }
}
