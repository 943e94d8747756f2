package jinit.http;

import static jinit.http.InProcessApi.ALICE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jinit.supervisor.LogRing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The routes, Query and Reply, over HTTP against a real Supervisor in this JVM ({@link InProcessApi}): each route's
 * status for each method, errors as JSON, 404 and 405 with Allow, HEAD, query parameters, bodies, waits, streams and
 * access rules. Processes are {@link ScriptedProcesses}, so all of it runs in seconds; the live daemon's tests (boot)
 * cover what only real processes can show.
 */
class RoutesTest {
    private static final String SLEEP = "{\"exec\":\"/sleep\",\"args\":[\"1000\"]}";
    private static final AtomicInteger ids = new AtomicInteger();
    private static InProcessApi api;

    @BeforeAll
    static void start() throws Exception {
        api = new InProcessApi(4096);
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    private static String id(String name) {
        return name + "-" + ids.incrementAndGet();
    }

    /** A JSON error: the status, and a body that is exactly {"error": "…message…"}. */
    private static void assertError(int status, String message, Wire.Answer answer) {
        assertEquals(status, answer.status(), answer::toString);
        assertEquals("application/json", answer.header("Content-Type"), answer::toString);
        Map<String, Object> body = answer.object();
        assertEquals(Set.of("error"), body.keySet(), answer::toString);
        assertTrue(((String) body.get("error")).contains(message), () -> answer + " should say " + message);
    }

    private static Map<String, Object> started(String id, String spec) throws Exception {
        Wire.Answer answer = api.call("PUT", "/job/" + id, spec);
        assertEquals(201, answer.status(), answer::toString);
        return answer.object();
    }

    private static Map<String, Object> awaitEnded(String id) throws Exception {
        Wire.Answer answer = api.call("GET", "/job/" + id + "?wait=ended&timeout=5000");
        assertEquals(200, answer.status(), answer::toString);
        return answer.object();
    }

    @Test
    void aJobsLifeThroughEveryRouteAndMethod() throws Exception {
        Wire.Answer posted = api.call("POST", "/job", SLEEP);
        assertEquals(201, posted.status(), posted::toString);
        Map<String, Object> job = posted.object();
        String id = (String) job.get("id");
        assertTrue(id.startsWith("sleep-"), id);
        assertEquals("/job/" + id, posted.header("Location"));
        assertEquals("running", job.get("state"));
        assertTrue(job.get("pid") instanceof Integer, job::toString);
        assertEquals(0, job.get("owner"));

        Wire.Answer got = api.call("GET", "/job/" + id);
        assertEquals(200, got.status());
        assertEquals(job, got.object(), "GET shows what POST answered");
        Wire.Answer list = api.call("GET", "/jobs");
        assertEquals(200, list.status());
        assertEquals("application/json", list.header("Content-Type"));
        assertTrue(((List<?>) list.json()).contains(job), list::toString);

        assertError(409, "is running", api.call("PUT", "/job/" + id, SLEEP));
        assertError(409, "is running", api.call("DELETE", "/job/" + id));
        Wire.Answer signalled = api.call("PUT", "/job/" + id + "/sig/USR1");
        assertEquals(204, signalled.status(), signalled::toString);
        assertEquals(0, signalled.body().length);
        assertEquals("running", api.call("GET", "/job/" + id).object().get("state"), "USR1 does not end it");
        assertError(400, "unknown signal 'NOPE'", api.call("PUT", "/job/" + id + "/sig/NOPE"));
        assertError(400, "unknown signal '0'", api.call("PUT", "/job/" + id + "/sig/0"));

        Wire.Answer stopped = api.call("POST", "/job/" + id + "/stop");
        assertEquals(200, stopped.status(), stopped::toString);
        assertEquals("exited", stopped.object().get("state"));
        assertEquals(Map.of("signal", "TERM"), stopped.object().get("exit"));
        assertError(409, "not running", api.call("PUT", "/job/" + id + "/sig/TERM"));
        assertEquals(200, api.call("POST", "/job/" + id + "/stop").status(), "a stop of an ended job is a no-op");

        Wire.Answer replaced = api.call("PUT", "/job/" + id, "{\"exec\":\"/exit\",\"args\":[\"3\"]}");
        assertEquals(201, replaced.status(), replaced::toString);
        assertEquals(Map.of("code", 3), awaitEnded(id).get("exit"));
        Wire.Answer deleted = api.call("DELETE", "/job/" + id);
        assertEquals(204, deleted.status(), deleted::toString);
        assertError(404, "no job '" + id + "'", api.call("GET", "/job/" + id));
        assertError(404, "no job '" + id + "'", api.call("DELETE", "/job/" + id));
        assertError(404, "no job '" + id + "'", api.call("POST", "/job/" + id + "/stop"));
        assertError(404, "no job '" + id + "'", api.call("GET", "/job/" + id + "/log"));
        assertError(404, "no job '" + id + "'", api.call("PUT", "/job/" + id + "/sig/TERM"));
    }

    @Test
    void unknownRoutesAre404AndWrongMethods405WithAllow() throws Exception {
        assertError(404, "no route GET /nope", api.call("GET", "/nope"));
        assertError(404, "no route GET /job/x/y/z", api.call("GET", "/job/x/y/z"));
        Map<String, String> allowed = Map.of("/jobs", "GET", "/job", "POST", "/job/x", "GET, PUT, DELETE", "/job/x/sig/TERM", "PUT",
                "/job/x/stop", "POST", "/job/x/log", "GET", "/events", "GET", "/system/poweroff", "POST", "/job/", "POST");
        for (Map.Entry<String, String> route : allowed.entrySet()) {
            Wire.Answer answer = api.call("PATCH", route.getKey());
            assertError(405, "method not allowed; use " + route.getValue(), answer);
            assertEquals(route.getValue(), answer.header("Allow"), route::getKey);
        }
        assertError(404, "no system action 'explode'", api.call("POST", "/system/explode"));
    }

    /** HEAD is no route's method: the status and headers of the refusal, and no body. */
    @Test
    void headIsRefusedWithoutABody() throws Exception {
        Wire.Answer jobs = api.call("HEAD", "/jobs");
        assertEquals(405, jobs.status(), jobs::toString);
        assertEquals("GET", jobs.header("Allow"));
        assertEquals(0, jobs.body().length);
        Wire.Answer nowhere = api.call("HEAD", "/nope");
        assertEquals(404, nowhere.status(), nowhere::toString);
        assertEquals(0, nowhere.body().length);
    }

    @Test
    void queryParametersAreCheckedAndNamed() throws Exception {
        String id = id("query");
        started(id, "{\"exec\":\"/exit\",\"args\":[\"0\"]}");
        awaitEnded(id);
        String tail = "query parameter 'tail' must be a whole number from 0 to 100000";
        for (String value : List.of("-1", "abc", "100001", "99999999999999999999", "1.5", "")) {
            assertError(400, tail, api.call("GET", "/job/" + id + "/log?tail=" + value));
        }
        assertError(400, "query parameter 'follow' must be 1 or 0", api.call("GET", "/job/" + id + "/log?follow=maybe"));
        assertError(400, "query parameter 'timestamps' must be 1 or 0", api.call("GET", "/job/" + id + "/log?timestamps=yes"));
        assertError(400, "stream must be 'stdout', 'stderr' or 'both'", api.call("GET", "/job/" + id + "/log?stream=all"));
        assertError(400, "wait must be 'running', 'ready' or 'ended'", api.call("GET", "/job/" + id + "?wait=soon"));
        for (String value : List.of("-5", "600001", "x")) {
            assertError(400, "query parameter 'timeout' must be a whole number from 0 to 600000",
                    api.call("GET", "/job/" + id + "?wait=ended&timeout=" + value));
            assertError(400, "query parameter 'timeout' must be a whole number from 0 to 600000",
                    api.call("POST", "/job/" + id + "/stop?timeout=" + value));
        }
        assertError(400, "query parameter 'since' must be a whole number", api.call("GET", "/events?since=-1"));
        // A target that is no URI (a bad %-escape) jdk.httpserver refuses itself, before any route: a 400, not JSON.
        for (String target : List.of("/job/" + id + "/log?tail=%zz", "/job/%zz", "/job/%2")) {
            Wire.Answer answer = api.call("GET", target);
            assertEquals(400, answer.status(), answer::toString);
            assertEquals("text/html", answer.header("Content-Type"), answer::toString);
        }
        assertError(400, "invalid job id", api.call("GET", "/job/bad%20id"));
        assertError(400, "invalid job id", api.call("PUT", "/job/.hidden", SLEEP));
        // Flags read as documented: bare, 1 and true turn them on; 0 and false leave them off.
        for (String on : List.of("follow", "follow=1", "follow=true")) {
            assertEquals(200, api.call("GET", "/job/" + id + "/log?" + on).status(), on);
        }
        assertEquals(200, api.call("GET", "/job/" + id + "/log?timestamps=0&follow=false&tail=0&stream=both").status());
    }

    @Test
    void bodiesMustBeJsonSpecsThatCanStart() throws Exception {
        String json = "application/json";
        assertError(415, "Content-Type: application/json", api.call(0, "POST", "/job", Map.of(), SLEEP));
        assertError(415, "Content-Type: application/json", api.call(0, "POST", "/job", Map.of("Content-Type", "text/plain"), SLEEP));
        assertEquals(201, api.call(0, "POST", "/job", Map.of("Content-Type", "Application/JSON; charset=utf-8"), SLEEP).status());
        String big = "{\"exec\":\"/sleep\",\"args\":[\"" + "x".repeat(Routes.MAX_BODY_BYTES) + "\"]}";
        assertError(413, "the body is larger than 65536 bytes", api.call(0, "POST", "/job", Map.of("Content-Type", json), big));
        assertError(400, "field 'exec' must be a string", api.call("POST", "/job", "{\"exec\":1}"));
        assertError(400, "the body must be a JSON object", api.call("POST", "/job", "[]"));
        assertError(400, "malformed JSON", api.call("POST", "/job", "{\"exec\":"));
        assertError(400, "unknown field 'bogus'", api.call("POST", "/job", "{\"exec\":\"/sleep\",\"bogus\":1}"));
        String id = id("missing");
        assertError(422, "No such file or directory (ENOENT)", api.call("PUT", "/job/" + id, "{\"exec\":\"/missing\"}"));
        assertError(404, "no job '" + id + "'", api.call("GET", "/job/" + id));
    }

    @Test
    void waitsAnswerOnceTheStateIsReachedOrTimeOut() throws Exception {
        String id = id("wait");
        started(id, SLEEP);
        assertEquals("running", api.call("GET", "/job/" + id + "?wait=running").object().get("state"));
        assertError(408, "job '" + id + "' was not ended within 50 ms", api.call("GET", "/job/" + id + "?wait=ended&timeout=50"));
        Thread stopper = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(100);
                api.call("POST", "/job/" + id + "/stop?wait=0");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        assertEquals(Map.of("signal", "TERM"), awaitEnded(id).get("exit"), "the wait saw the stop another request made");
        stopper.join();
        assertError(404, "no job 'nobody-here'", api.call("GET", "/job/nobody-here?wait=running"));
    }

    @Test
    void aStopAnswersWhenTheJobEndsOrAtOnceWithWait0() throws Exception {
        String stubborn = id("stubborn");
        started(stubborn, "{\"exec\":\"/stubborn\"}");
        Wire.Answer killed = api.call("POST", "/job/" + stubborn + "/stop?timeout=100");
        assertEquals(200, killed.status(), killed::toString);
        assertEquals(Map.of("signal", "KILL"), killed.object().get("exit"), "TERM was not enough; KILL came after the timeout");
        assertTrue(api.call("GET", "/job/" + stubborn + "/log").text().contains("[jinit] stop timeout passed; sending KILL\n"));

        String id = id("stop");
        started(id, SLEEP);
        Wire.Answer accepted = api.call("POST", "/job/" + id + "/stop?wait=0");
        assertEquals(202, accepted.status(), accepted::toString);
        assertEquals(Map.of("signal", "TERM"), awaitEnded(id).get("exit"));
    }

    @Test
    void logsAreTextFilteredTailedStampedAndFollowed() throws Exception {
        String id = id("echo");
        started(id, "{\"exec\":\"/echo\",\"args\":[\"hello\",\"world\"]}");
        assertEquals(Map.of("code", 0), awaitEnded(id).get("exit"));
        Wire.Answer log = api.call("GET", "/job/" + id + "/log");
        assertEquals(200, log.status(), log::toString);
        assertEquals("text/plain; charset=utf-8", log.header("Content-Type"));
        assertEquals("chunked", log.header("Transfer-Encoding"), "every log answer is streamed");
        assertEquals("0", log.header("X-Jinit-Dropped-Bytes"));
        assertEquals("hello world\nto stderr\n", log.text());
        assertEquals("hello world\n", api.call("GET", "/job/" + id + "/log?stream=stdout").text());
        assertEquals("to stderr\n", api.call("GET", "/job/" + id + "/log?stream=stderr").text());
        assertEquals("to stderr\n", api.call("GET", "/job/" + id + "/log?tail=1").text());
        assertEquals("", api.call("GET", "/job/" + id + "/log?tail=0").text());
        String stamped = api.call("GET", "/job/" + id + "/log?timestamps=1").text();
        assertTrue(stamped.matches("(\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z (hello world|to stderr)\n){2}"), stamped);
        assertEquals("hello world\nto stderr\n", api.call("GET", "/job/" + id + "/log?follow=1").text(),
                "following an ended job's log ends with it");

        String talker = id("talker");
        int pid = (Integer) started(talker, SLEEP).get("pid");
        try (Wire follower = api.open(0)) {
            follower.send("GET", "/job/" + talker + "/log?follow=1&stream=stdout", Map.of(), null);
            assertEquals(200, follower.head().status());
            api.processes.write(pid, LogRing.Stream.STDERR, "not for this reader\n");
            api.processes.write(pid, LogRing.Stream.STDOUT, "later\n");
            assertEquals("later\n", new String(follower.chunk(), StandardCharsets.UTF_8), "output reaches a follower as it comes");
            api.call("POST", "/job/" + talker + "/stop");
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            for (byte[] chunk = follower.chunk(); chunk != null; chunk = follower.chunk()) rest.writeBytes(chunk);
            assertEquals("", rest.toString(StandardCharsets.UTF_8), "the follow ends once the job has ended and its pipe is drained");
        }
    }

    @Test
    void eventsStreamStateChangesAndReplaySince() throws Exception {
        String id = id("events");
        try (Wire events = api.open(0)) {
            events.send("GET", "/events", Map.of(), null);
            Wire.Answer head = events.head();
            assertEquals(200, head.status());
            assertEquals("application/x-ndjson", head.header("Content-Type"));
            assertEquals("no-store", head.header("Cache-Control"));
            started(id, "{\"exec\":\"/exit\",\"args\":[\"4\"]}");
            awaitEnded(id);
            StringBuilder lines = new StringBuilder();
            while (!lines.toString().contains("\"id\":\"" + id + "\",\"state\":\"exited\"")) {
                lines.append(new String(events.chunk(), StandardCharsets.UTF_8));
            }
            List<String> mine = lines.toString().lines().filter(line -> line.contains("\"id\":\"" + id + "\"")).toList();
            assertEquals(2, mine.size(), lines::toString);
            Map<?, ?> running = (Map<?, ?>) JobJson.read(mine.getFirst().getBytes(StandardCharsets.UTF_8));
            assertEquals("running", running.get("state"));
            Map<?, ?> exited = (Map<?, ?>) JobJson.read(mine.getLast().getBytes(StandardCharsets.UTF_8));
            assertEquals(Map.of("code", 4), exited.get("exit"));
            long seq = ((Number) running.get("seq")).longValue();
            assertEquals(seq + 1, ((Number) exited.get("seq")).longValue());

            try (Wire replay = api.open(0)) {
                replay.send("GET", "/events?since=" + seq, Map.of(), null);
                assertEquals(200, replay.head().status());
                String first = new String(replay.chunk(), StandardCharsets.UTF_8);
                assertTrue(first.startsWith("{\"seq\":" + seq + ","), first);
            }
        }
    }

    @Test
    void systemActionsAreForAdminsAndAnswer202() throws Exception {
        try (InProcessApi own = new InProcessApi(64)) {
            Wire.Answer refused = own.call(ALICE, "POST", "/system/poweroff", Map.of(), null);
            assertError(403, "rule 'admin only'", refused);
            assertTrue(own.console.stream().anyMatch(line -> line.startsWith("refused 403: uid 1000 POST /system/poweroff: rule 'admin only'")),
                    own.console::toString);
            assertError(401, "rule 'token'", own.call(ALICE, "POST", "/system/poweroff", Map.of("Authorization", "Bearer nope"), null));
            assertEquals(List.of(), own.shutdowns);
            Wire.Answer accepted = own.call(ALICE, "POST", "/system/reboot", Map.of("Authorization", "Bearer " + InProcessApi.TOKEN), null);
            assertEquals(202, accepted.status(), accepted::toString);
            assertEquals(Map.of("shutdown", "reboot"), accepted.object());
            assertEquals(List.of(SystemControl.Action.REBOOT), own.shutdowns);
        }
    }

    @Test
    void aUserManagesItsOwnJobsAndSeesOthersRedacted() throws Exception {
        String root = id("roots");
        started(root, "{\"exec\":\"/sleep\",\"envs\":{\"SECRET\":\"s3cret\"}}");
        Map<String, String> json = Map.of("Content-Type", "application/json");
        Wire.Answer shown = api.call(ALICE, "GET", "/job/" + root, Map.of(), null);
        assertEquals(200, shown.status(), shown::toString);
        assertEquals(Map.of("SECRET", "<redacted>"), ((Map<?, ?>) shown.object().get("spec")).get("envs"));
        assertFalse(api.call(ALICE, "GET", "/jobs", Map.of(), null).text().contains("s3cret"));
        assertError(403, "rule 'own jobs only'", api.call(ALICE, "PUT", "/job/" + root + "/sig/TERM", Map.of(), null));
        assertError(403, "rule 'own jobs only'", api.call(ALICE, "GET", "/job/" + root + "/log", Map.of(), null));
        assertError(403, "rule 'your own ids'", api.call(ALICE, "PUT", "/job/" + id("sshd"), json, SLEEP));
        assertError(403, "rule 'start as yourself'", api.call(ALICE, "POST", "/job", json, "{\"exec\":\"/sleep\",\"user\":\"root\"}"));
        assertError(403, "rule 'nothing opened as root'", api.call(ALICE, "POST", "/job", json, "{\"exec\":\"/sleep\",\"stdio\":{\"stdin\":\"console\"}}"));
        assertError(403, "rule 'no browsers'", api.call(ALICE, "GET", "/jobs", Map.of("Origin", "null"), null));

        String mine = "alice." + id("web");
        Wire.Answer started = api.call(ALICE, "PUT", "/job/" + mine, json, SLEEP);
        assertEquals(201, started.status(), started::toString);
        assertEquals(ALICE, started.object().get("owner"));
        assertEquals(Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", "HOME", "/home/alice", "USER", "alice", "LOGNAME", "alice",
                "SHELL", "/bin/sh"), ((Map<?, ?>) started.object().get("spec")).get("envs"), "a login environment");
        assertEquals(200, api.call(ALICE, "POST", "/job/" + mine + "/stop", Map.of(), null).status());
        assertEquals(204, api.call(ALICE, "DELETE", "/job/" + mine, Map.of(), null).status());
        api.call("POST", "/job/" + root + "/stop");
    }

    @Test
    void aFullTableIs507AndAShutdownIs503() throws Exception {
        try (InProcessApi own = new InProcessApi(32)) {
            // A sixteenth of 32 rows is kept for admin: users together get 30, one user 2.
            Map<String, String> json = Map.of("Content-Type", "application/json");
            for (int i = 0; i < 2; i++) assertEquals(201, own.call(ALICE, "POST", "/job", json, SLEEP).status());
            assertError(429, "rule 'job share': uid 1000 holds 2 jobs", own.call(ALICE, "POST", "/job", json, SLEEP));
            assertTrue(own.console.stream().anyMatch(line -> line.startsWith("refused 429: uid 1000 POST /job: rule 'job share'")),
                    () -> "every refusal by a rule is on the console: " + own.console);
            for (int i = 2; i < 32; i++) assertEquals(201, own.call("POST", "/job", SLEEP).status(), "job " + i);
            assertError(507, "the job table is full (32 jobs)", own.call("POST", "/job", SLEEP));
            own.supervisor.stopAccepting();
            assertError(503, "init is shutting down", own.call("PUT", "/job/" + id("late"), SLEEP));
        }
    }
}
