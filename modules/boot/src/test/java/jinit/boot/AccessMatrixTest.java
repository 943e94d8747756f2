package jinit.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import jinit.api.ExitStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Who may do what (issue 5), against the real daemon: every caller × every route with its exact status,
 * and the promise behind it all, that a caller who is not root can never get a process to run as uid 0.
 *
 * <p>Root calls come from this JVM. Other uids are the real curl under {@code setpriv}, so the daemon finds
 * them through /proc/net/tcp as it would any local user. The test user {@code jinit-test} is created
 * (once, {@code useradd --system}) when missing and left in place for other runs.
 */
class AccessMatrixTest {
    static final String TEST_USER = "jinit-test";
    static final int NOBODY = 65534;
    static final int NOGROUP = 65534;
    private static final Path CURL = Path.of("/usr/bin/curl");
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    private static final String SLEEP = "{\"exec\":\"/bin/sleep\",\"args\":[\"1000\"],\"envs\":{\"SECRET\":\"s3cret\",\"PATH\":\"/bin\"}}";
    private static final String TRUE = "{\"exec\":\"/bin/true\"}";

    static int userUid;
    static int userGid;
    private static Daemon daemon;
    private static String token;
    private static final AtomicInteger ids = new AtomicInteger();

    /** Who calls: the columns of the matrix. NOBODY only owns the jobs that are "theirs". */
    enum Who { ROOT, USER, USER_WITH_TOKEN, USER_WRONG_TOKEN, ROOT_WRONG_TOKEN, NOBODY }

    @BeforeAll
    static void createUserAndStartDaemon() throws Exception {
        assertTrue(Files.isExecutable(CURL) && Files.isExecutable(SETPRIV), "these tests need curl and setpriv (util-linux)");
        int[] ids = ensureTestUser();
        userUid = ids[0];
        userGid = ids[1];
        daemon = Daemon.start();
        token = daemon.token();
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.killRunningJobs();
            daemon.close();
        }
    }

    /** Creates {@value #TEST_USER} (with a group of its own) unless it exists; returns its uid and gid. */
    static int[] ensureTestUser() throws Exception {
        if (passwdEntry(TEST_USER) == null) {
            // Another test run may create it at the same moment: "already exists" is fine, the entry is what counts.
            Processes.run("/usr/sbin/useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER);
        }
        String[] entry = passwdEntry(TEST_USER);
        assertTrue(entry != null, "useradd did not create " + TEST_USER);
        return new int[] {Integer.parseInt(entry[2]), Integer.parseInt(entry[3])};
    }

    private static String[] passwdEntry(String name) throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/etc/passwd"))) {
            return lines.map(line -> line.split(":")).filter(f -> f[0].equals(name)).findFirst().orElse(null);
        }
    }

    /** Every name /etc/passwd gives uid 0. */
    private static List<String> rootNames() throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/etc/passwd"))) {
            return lines.map(line -> line.split(":")).filter(f -> f.length > 2 && f[2].equals("0")).map(f -> f[0]).toList();
        }
    }

    // ---- callers ----

    /** An answer as a caller saw it. */
    record Answer(int status, String body) {
        Map<String, Object> json() {
            return Json.object(body);
        }
    }

    static Answer call(Daemon daemon, String token, Who who, String method, String path, String json) throws Exception {
        Map<String, String> headers = new LinkedHashMap<>();
        if (json != null) headers.put("Content-Type", "application/json");
        switch (who) {
            case USER_WITH_TOKEN -> headers.put("Authorization", "Bearer " + token);
            case USER_WRONG_TOKEN, ROOT_WRONG_TOKEN -> headers.put("Authorization", "Bearer " + "0".repeat(token.length()));
            default -> { }
        }
        return switch (who) {
            case ROOT, ROOT_WRONG_TOKEN -> {
                Http.Response response = daemon.request(method, path, headers,
                        json == null ? null : json.getBytes(StandardCharsets.UTF_8));
                yield new Answer(response.status(), response.text());
            }
            case USER, USER_WITH_TOKEN, USER_WRONG_TOKEN -> curl(daemon, userUid, userGid, method, path, headers, json);
            case NOBODY -> curl(daemon, NOBODY, NOGROUP, method, path, headers, json);
        };
    }

    /** The argv of curl with {@code options}, run as {@code uid}:{@code gid} with no supplementary groups. */
    static List<String> curlAs(int uid, int gid, String... options) {
        List<String> argv = new ArrayList<>(List.of(SETPRIV.toString(), "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--",
                CURL.toString(), "-q", "-sS"));
        argv.addAll(List.of(options));
        return argv;
    }

    /** curl as {@code uid}:{@code gid} with no supplementary groups; streams are cut after 2 s. */
    static Answer curl(Daemon daemon, int uid, int gid, String method, String path, Map<String, String> headers, String json)
            throws Exception {
        List<String> argv = curlAs(uid, gid, "--max-time", "2", "-o", "-", "-w", "\n%{http_code}", "-X", method);
        headers.forEach((name, value) -> argv.addAll(List.of("-H", name + ": " + value)));
        if (json != null) argv.addAll(List.of("--data-binary", json));
        argv.add(daemon.baseUrl() + path);
        Processes.Result result = Processes.run(argv, Duration.ofSeconds(30));
        String out = result.stdout();
        int newline = out.lastIndexOf('\n');
        int status = Integer.parseInt(out.substring(newline + 1).strip());
        // 28: --max-time cut a stream (GET /events) after its head had come.
        boolean complete = result.status().equals(new ExitStatus.Code(0)) || result.status().equals(new ExitStatus.Code(28));
        assertTrue(complete && status != 0, () -> "curl " + argv + ": " + result);
        return new Answer(status, out.substring(0, newline));
    }

    private static Answer call(Who who, String method, String path, String json) throws Exception {
        return call(daemon, token, who, method, path, json);
    }

    /** An id {@code who} may choose: a user's start with its name and a dot. */
    private static String idFor(Who who, String name) {
        return switch (who) {
            case USER, USER_WRONG_TOKEN -> TEST_USER + "." + name;
            case NOBODY -> "nobody." + name;
            case ROOT, ROOT_WRONG_TOKEN, USER_WITH_TOKEN -> name;
        };
    }

    /** Starts {@code spec} under a fresh id as {@code owner} and returns the id. */
    private static String startAs(Who owner, String spec) throws Exception {
        String id = idFor(owner, "m" + ids.incrementAndGet());
        Answer answer = call(owner, "PUT", "/job/" + id, spec);
        assertEquals(201, answer.status(), () -> owner + " PUT " + spec + ": " + answer);
        return id;
    }

    private static String endedAs(Who owner) throws Exception {
        String id = startAs(owner, TRUE);
        daemon.awaitEnded(id);
        return id;
    }

    /** The owner a caller's own jobs get: who started them without a token, by uid. */
    private static Who ownerFor(Who who) {
        return who == Who.ROOT ? Who.ROOT : Who.USER;
    }

    // ---- the matrix ----

    /** A route, made concrete for one caller: the method, the path and the body, after any set-up. */
    record Request(String method, String path, String body) {}

    @FunctionalInterface
    interface Setup {
        Request forCaller(Who who) throws Exception;
    }

    private static Arguments row(String route, Setup setup, int root, int user, int userWithToken, int wrongToken) {
        return Arguments.of(route, setup, Map.of(Who.ROOT, root, Who.USER, user, Who.USER_WITH_TOKEN, userWithToken,
                Who.USER_WRONG_TOKEN, wrongToken, Who.ROOT_WRONG_TOKEN, wrongToken));
    }

    static Stream<Arguments> matrix() {
        return Stream.of(
                row("GET /jobs", who -> new Request("GET", "/jobs", null), 200, 200, 200, 401),
                // What the matrix starts keeps running, so that no job ending by itself changes the table meanwhile.
                row("POST /job", who -> new Request("POST", "/job", SLEEP), 201, 201, 201, 401),
                row("PUT /job/:new", who -> new Request("PUT", "/job/" + idFor(who, "new" + ids.incrementAndGet()), SLEEP),
                        201, 201, 201, 401),
                row("PUT /job/:not-in-own-name", who -> new Request("PUT", "/job/sshd" + ids.incrementAndGet(), SLEEP),
                        201, 403, 201, 401),
                row("PUT /job/:own-ended", who -> new Request("PUT", "/job/" + endedAs(ownerFor(who)), SLEEP), 201, 201, 201, 401),
                row("PUT /job/:theirs-ended", who -> new Request("PUT", "/job/" + endedAs(Who.NOBODY), SLEEP), 201, 403, 201, 401),
                row("GET /job/:own", who -> new Request("GET", "/job/" + startAs(ownerFor(who), SLEEP), null), 200, 200, 200, 401),
                row("GET /job/:theirs", who -> new Request("GET", "/job/" + startAs(Who.NOBODY, SLEEP), null), 200, 200, 200, 401),
                row("GET /job/:missing", who -> new Request("GET", "/job/never-started", null), 404, 404, 404, 401),
                row("PUT /job/:own/sig/TERM", who -> new Request("PUT", "/job/" + startAs(ownerFor(who), SLEEP) + "/sig/TERM", null),
                        204, 204, 204, 401),
                row("PUT /job/:theirs/sig/TERM", who -> new Request("PUT", "/job/" + startAs(Who.NOBODY, SLEEP) + "/sig/TERM", null),
                        204, 403, 204, 401),
                row("POST /job/:own/stop", who -> new Request("POST", "/job/" + startAs(ownerFor(who), SLEEP) + "/stop", null),
                        200, 200, 200, 401),
                row("POST /job/:theirs/stop", who -> new Request("POST", "/job/" + startAs(Who.NOBODY, SLEEP) + "/stop", null),
                        200, 403, 200, 401),
                row("GET /job/:own/log", who -> new Request("GET", "/job/" + startAs(ownerFor(who), SLEEP) + "/log", null),
                        200, 200, 200, 401),
                row("GET /job/:theirs/log", who -> new Request("GET", "/job/" + startAs(Who.NOBODY, SLEEP) + "/log", null),
                        200, 403, 200, 401),
                row("DELETE /job/:own-ended", who -> new Request("DELETE", "/job/" + endedAs(ownerFor(who)), null), 204, 204, 204, 401),
                row("DELETE /job/:theirs-ended", who -> new Request("DELETE", "/job/" + endedAs(Who.NOBODY), null), 204, 403, 204, 401),
                row("GET /events", who -> new Request("GET", "/events", null), 200, 200, 200, 401),
                // An admin's poweroff really stops the daemon: adminsPowerOff covers those cells on daemons of their own.
                row("POST /system/nonsense", who -> new Request("POST", "/system/nonsense", null), 404, 403, 404, 401),
                row("GET /system/poweroff", who -> new Request("GET", "/system/poweroff", null), 405, 405, 405, 401),
                row("GET /system", who -> new Request("GET", "/system", null), 200, 200, 200, 401));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("matrix")
    void everyCallerGetsExactlyItsStatus(String route, Setup setup, Map<Who, Integer> expected) throws Exception {
        List<String> wrong = new ArrayList<>();
        for (Who who : List.of(Who.ROOT, Who.USER, Who.USER_WITH_TOKEN, Who.USER_WRONG_TOKEN, Who.ROOT_WRONG_TOKEN)) {
            Request request = setup.forCaller(who);
            Map<String, Object> before = table();
            Answer answer = request.path().equals("/events") && (who == Who.ROOT || who == Who.ROOT_WRONG_TOKEN)
                    ? streamHead(who, request.path())
                    : call(who, request.method(), request.path(), request.body());
            int status = expected.get(who);
            if (answer.status() != status) wrong.add(who + " got " + answer + ", not " + status);
            if (answer.status() == 204 && request.path().contains("/sig/")) {
                // The job ends a moment after the answer: let it, before the next caller's table is taken.
                daemon.awaitEnded(request.path().split("/")[2]);
            }
            if (answer.status() == 401 || answer.status() == 403) {
                // A refusal says which rule refused it, and changes nothing.
                String error = (String) answer.json().get("error");
                if (!error.startsWith("rule '")) wrong.add(who + ": a refusal that names no rule: " + error);
                if (!before.equals(table())) wrong.add(who + ": the job table changed after a " + answer.status());
            }
        }
        assertEquals(List.of(), wrong, route);
    }

    /** GET /events as root: only the head of the endless answer. */
    private static Answer streamHead(Who who, String path) throws Exception {
        Map<String, String> headers = who == Who.ROOT ? Map.of() : Map.of("Authorization", "Bearer " + "0".repeat(token.length()));
        try (Http.Connection connection = Http.Connection.open(daemon.address());
             Http.Streamed answer = connection.stream("GET", path, headers)) {
            return new Answer(answer.status(), answer.status() == 200 ? "" : answer.readRest());
        }
    }

    /** Every job's id, state and pid, as root sees them. */
    private static Map<String, Object> table() throws IOException {
        Map<String, Object> table = new LinkedHashMap<>();
        for (Map<String, Object> job : daemon.jobs()) table.put((String) job.get("id"), job.get("state") + " " + job.get("pid"));
        return table;
    }

    @Test
    void aForeignHostOrAnyOriginIsRefusedForEveryCaller() throws Exception {
        for (Who who : List.of(Who.ROOT, Who.USER, Who.USER_WITH_TOKEN)) {
            for (Map.Entry<String, String> header : List.of(Map.entry("Host", "evil.example"), Map.entry("Origin", "null"),
                    Map.entry("Origin", "http://127.0.0.1"))) {
                Map<String, String> headers = new LinkedHashMap<>();
                headers.put("Content-Type", "application/json");
                headers.put(header.getKey(), header.getValue());
                if (who == Who.USER_WITH_TOKEN) headers.put("Authorization", "Bearer " + token);
                Answer answer = who == Who.ROOT
                        ? rootAnswer(daemon.request("POST", "/job", headers, TRUE.getBytes(StandardCharsets.UTF_8)))
                        : curl(daemon, userUid, userGid, "POST", "/job", headers, TRUE);
                assertEquals(403, answer.status(), () -> who + " with " + header + ": " + answer);
            }
        }
    }

    private static Answer rootAnswer(Http.Response response) {
        return new Answer(response.status(), response.text());
    }

    /**
     * Host is read strictly (issue 10): one header, one of our names, at most a ":port" of digits. Before, a Host that
     * merely started with an allowed name ("[::1]evil.example") passed, and so did a second Host after an allowed first.
     * Each request here would start a job; each is a 400 naming the rule, for root and for a user, and starts nothing.
     */
    @Test
    void aMalformedOrSecondHostIsRefusedForEveryCaller() throws Exception {
        Map<String, String> hostLines = new LinkedHashMap<>();
        hostLines.put("a name glued after [::1]", "Host: [::1]evil.example\r\n");
        hostLines.put("a port that is not digits", "Host: localhost:80evil.example\r\n");
        hostLines.put("a second Host after an allowed one", "Host: localhost\r\nHost: evil.example\r\n");
        hostLines.put("the same Host twice", "Host: 127.0.0.1\r\nHost: 127.0.0.1\r\n");
        hostLines.put("no Host in HTTP/1.1", "");
        Map<String, Object> before = table();
        List<String> wrong = new ArrayList<>();
        for (Who who : List.of(Who.ROOT, Who.USER)) {
            for (Map.Entry<String, String> hostLine : hostLines.entrySet()) {
                String request = "POST /job HTTP/1.1\r\n" + hostLine.getValue() + "Content-Type: application/json\r\nContent-Length: "
                        + TRUE.length() + "\r\nConnection: close\r\n\r\n" + TRUE;
                Answer answer = who == Who.ROOT ? rawAsRoot(request) : rawAs(userUid, userGid, request);
                if (answer.status() != 400 || !answer.body().contains("rule 'local Host only'")) {
                    wrong.add(who + ", " + hostLine.getKey() + ": " + answer);
                }
            }
        }
        assertEquals(List.of(), wrong);
        assertEquals(before, table(), "a refused request started a job");
    }

    private static Answer rawAsRoot(String request) throws IOException {
        try (Http.Connection connection = Http.Connection.open(daemon.address())) {
            return rootAnswer(connection.sendRaw(request.getBytes(StandardCharsets.ISO_8859_1), false));
        }
    }

    /** Sends {@code request} as it is (curl sends one Host only) as {@code uid}:{@code gid}, through bash's /dev/tcp. */
    private static Answer rawAs(int uid, int gid, String request) throws Exception {
        Processes.Result result = Processes.run(List.of(SETPRIV.toString(), "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--",
                "/bin/bash", "-c", "exec 3<>/dev/tcp/$1/$2 && printf '%s' \"$3\" >&3 && exec cat <&3", "raw-request",
                daemon.address().getAddress().getHostAddress(), Integer.toString(daemon.address().getPort()), request), Duration.ofSeconds(30));
        assertEquals(new ExitStatus.Code(0), result.status(), result::toString);
        String answer = result.stdout();
        String[] statusLine = answer.substring(0, Math.max(0, answer.indexOf("\r\n"))).split(" ");
        assertTrue(statusLine.length > 1 && statusLine[0].startsWith("HTTP/1."), () -> "not an HTTP answer: " + answer);
        int bodyStart = answer.indexOf("\r\n\r\n");
        return new Answer(Integer.parseInt(statusLine[1]), bodyStart < 0 ? "" : answer.substring(bodyStart + 4));
    }

    // ---- /system: an admin's poweroff ends the daemon, so each gets a daemon of its own ----

    @Test
    void adminsPowerOffAndOthersCannot() throws Exception {
        Answer refused = call(Who.USER, "POST", "/system/poweroff", null);
        assertEquals(403, refused.status(), refused::toString);
        assertTrue(((String) refused.json().get("error")).startsWith("rule 'admin only'"), refused::toString);
        assertEquals(401, call(Who.USER_WRONG_TOKEN, "POST", "/system/poweroff", null).status());
        assertEquals(401, call(Who.ROOT_WRONG_TOKEN, "POST", "/system/poweroff", null).status());
        assertTrue(daemon.exit().isEmpty(), "the daemon still runs");
        assertEquals(200, daemon.get("/jobs").status());

        for (Who admin : List.of(Who.ROOT, Who.USER_WITH_TOKEN)) {
            Daemon own = Daemon.start();
            try {
                Answer accepted = call(own, own.token(), admin, "POST", "/system/poweroff", null);
                assertEquals(202, accepted.status(), () -> admin + ": " + accepted);
                assertEquals(new ExitStatus.Code(0), own.awaitExit(), () -> admin + "'s poweroff");
            } finally {
                own.close();
            }
        }
    }

    // ---- what others see ----

    @Test
    void everyoneSeesTheSameSystemStatusAndItHoldsNoSecret() throws Exception {
        // Off PID 1 and with no device named, no watchdog: the answer says so and why, to root and to anyone.
        Map<String, Object> expected = Map.of("pid1", false,
                "watchdog", Map.of("armed", false, "reason", "not PID 1, and no device named in JINIT_WATCHDOG"),
                "cgroups", Map.of("available", false,
                        "reason", "init has none: off PID 1 it needs a delegated cgroup2 directory (--cgroup or JINIT_CGROUP)"));
        for (Who who : List.of(Who.ROOT, Who.USER, Who.NOBODY, Who.USER_WITH_TOKEN)) {
            Answer answer = call(who, "GET", "/system", null);
            assertEquals(200, answer.status(), () -> who + ": " + answer);
            assertEquals(expected, answer.json(), () -> who + ": " + answer);
            assertFalse(answer.body().contains(token), who + " was shown the token");
        }
    }

    @Test
    void othersSeeTheNamesButNotTheValuesOfAJobsEnvironment() throws Exception {
        String mine = startAs(Who.USER, SLEEP);
        String theirs = startAs(Who.NOBODY, SLEEP);
        String roots = startAs(Who.ROOT, SLEEP);
        Map<String, String> clear = Map.of("SECRET", "s3cret", "PATH", "/bin");
        Map<String, String> redacted = Map.of("SECRET", "<redacted>", "PATH", "<redacted>");
        Map<String, Map<String, String>> userSees = Map.of(mine, clear, theirs, redacted, roots, redacted);
        Map<String, Map<String, String>> adminSees = Map.of(mine, clear, theirs, clear, roots, clear);
        for (Who who : List.of(Who.USER, Who.ROOT, Who.USER_WITH_TOKEN)) {
            Map<String, Map<String, String>> expected = who == Who.USER ? userSees : adminSees;
            Answer list = call(who, "GET", "/jobs", null);
            for (Map<String, Object> job : Json.array(list.body())) {
                if (expected.containsKey(job.get("id"))) assertEquals(expected.get(job.get("id")), envs(job), () -> who + " in /jobs: " + job);
            }
            for (String id : expected.keySet()) {
                Map<String, Object> job = call(who, "GET", "/job/" + id, null).json();
                assertEquals(expected.get(id), envs(job), () -> who + " GET /job/" + id);
                Map<String, Object> waited = call(who, "GET", "/job/" + id + "?wait=running&timeout=1000", null).json();
                assertEquals(expected.get(id), envs(waited), () -> who + " GET /job/" + id + "?wait=running");
            }
        }
        assertEquals(userUid, daemon.job(mine).get("owner"));
        assertEquals(NOBODY, daemon.job(theirs).get("owner"));
        assertEquals(0, daemon.job(roots).get("owner"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> envs(Map<String, Object> job) {
        return (Map<String, String>) ((Map<String, Object>) job.get("spec")).get("envs");
    }

    @Test
    void aJobStartedWithTheTokenIsOwnedByTheUidThatSentIt() throws Exception {
        String id = startAs(Who.USER_WITH_TOKEN, "{\"exec\":\"/bin/sleep\",\"args\":[\"1000\"],\"user\":\"nobody\"}");
        Map<String, Object> job = daemon.job(id);
        assertEquals(userUid, job.get("owner"));
        int pid = (Integer) job.get("pid");
        ProcFs.awaitExec(pid, List.of("/bin/sleep", "1000"));
        assertEquals(List.of(NOBODY, NOBODY, NOBODY, NOBODY), ProcFs.ids(pid, "Uid"), "an admin may start a job as anyone");
    }

    // ---- never uid 0 ----

    /** Specs a non-root caller might try; each must either run as the caller or be refused with a 403 (or a 400 if malformed). */
    static List<String> attempts(int callerUid, String callerName, int callerGid, String otherName, int otherUid) throws IOException {
        List<String> users = new ArrayList<>(List.of("0", "\"0\"", "\"00\"", "\"0000000000\"", "-0", "\"root\"", "\"ROOT\"",
                "\"root \"", "\" root\"", "\"\\u0660\"", "\"\\uff10\"", "1", "\"1\"", "\"daemon\"", "4294967296", "\"4294967296\"",
                "-4294967296", "2147483648", "0.0", "true", "[0]", "{\"id\":0}", "null",
                Integer.toString(otherUid), "\"" + otherName + "\"", "12345", "\"12345\"",
                Integer.toString(callerUid), "\"" + callerUid + "\"", "\"" + callerName + "\""));
        for (String name : rootNames()) users.add(Json.write(name));
        List<String> groups = List.of("0", "\"0\"", "\"root\"", "\"nogroup\"", "\"shadow\"", "\"disk\"", "42",
                Integer.toString(callerGid), "\"" + callerName + "\"");
        List<String> specs = new ArrayList<>();
        for (String user : users) specs.add(sleepSpec("\"user\":" + user));
        for (String group : groups) {
            specs.add(sleepSpec("\"group\":" + group));
            specs.add(sleepSpec("\"user\":" + callerUid + ",\"group\":" + group));
            specs.add(sleepSpec("\"user\":\"root\",\"group\":" + group));
        }
        specs.add(sleepSpec(null));
        specs.add(sleepSpec("\"env\":{\"PATH\":\"/bin\"}"));
        // A restarted process must run as the caller too.
        specs.add(sleepSpec("\"restart\":\"always\""));
        return specs;
    }

    /** A shell that waits for its sleep: "never-root", its $0, marks it and (as parent) its child. */
    private static String sleepSpec(String field) {
        return "{\"exec\":\"/bin/sh\",\"args\":[\"-c\",\"sleep 1000; exit 0\",\"never-root\"]" + (field == null ? "" : "," + field) + "}";
    }

    @Test
    void aNonRootCallerNeverGetsAProcessRunningAsRoot() throws Exception {
        int otherUid = NOBODY;
        assertNeverRoot(Who.USER, userUid, userGid, TEST_USER, "nobody", otherUid);
        assertNeverRoot(Who.NOBODY, NOBODY, NOGROUP, "nobody", TEST_USER, userUid);
    }

    private static void assertNeverRoot(Who caller, int uid, int gid, String name, String otherName, int otherUid) throws Exception {
        List<String> wrong = new ArrayList<>();
        List<String> started = new ArrayList<>();
        for (String spec : attempts(uid, name, gid, otherName, otherUid)) {
            Answer answer = call(caller, "POST", "/job", spec);
            switch (answer.status()) {
                case 201 -> {
                    Map<String, Object> job = answer.json();
                    String id = (String) job.get("id");
                    started.add(id);
                    int pid = (Integer) job.get("pid");
                    // Its program, not jinit-exec before it: that keeps root's real and saved uids until the exec, so
                    // that the caller cannot signal it while it still holds them.
                    Eventually.await("pid " + pid + " of " + spec + " to exec, or job " + id + " to end",
                            () -> runsTheShell(pid) || "exited".equals(daemon.job(id).get("state")), done -> done);
                    if (!"running".equals(daemon.job(id).get("state"))) {
                        wrong.add(spec + " was accepted but did not run: " + daemon.job(id) + " " + call(Who.ROOT, "GET", "/job/" + id + "/log", null));
                        continue;
                    }
                    List<Integer> uids = ProcFs.ids(pid, "Uid");
                    List<Integer> gids = ProcFs.ids(pid, "Gid");
                    List<Integer> groups = ProcFs.ids(pid, "Groups");
                    if (!uids.equals(List.of(uid, uid, uid, uid)) || gids.contains(0) || groups.contains(0)) {
                        wrong.add(spec + " runs with Uid " + uids + " Gid " + gids + " Groups " + groups);
                    }
                    if (!Integer.valueOf(uid).equals(job.get("owner"))) wrong.add(spec + " is owned by " + job.get("owner"));
                    if (spec.contains("\"restart\"")) assertRestartRunsAs(id, pid, uid, wrong);
                }
                case 403 -> { }
                // Malformed: a user or group of the wrong type or out of range, and the message says which.
                case 400 -> {
                    if (!answer.body().contains("'user'") && !answer.body().contains("'group'")) {
                        wrong.add(spec + " is a 400 that names neither user nor group: " + answer.body());
                    }
                }
                default -> wrong.add(spec + " answered " + answer);
            }
        }
        // Whatever the daemon runs for these specs (a restart's shell and its sleep too) is not root.
        List<ProcFs.Proc> all = ProcFs.all();
        List<Integer> marked = all.stream().filter(p -> p.cmdline().contains("never-root")).map(ProcFs.Proc::pid).toList();
        assertTrue(marked.size() >= started.size(), () -> "the jobs' shells: " + marked);
        for (ProcFs.Proc process : all) {
            if ((marked.contains(process.pid()) || marked.contains(process.ppid())) && ProcFs.ids(process.pid(), "Uid").contains(0)) {
                wrong.add("a process runs as root: " + process);
            }
        }
        for (String id : started) call(caller, "POST", "/job/" + id + "/stop?timeout=0", null);
        assertEquals(List.of(), wrong, caller + " (uid " + uid + ")");
        assertTrue(started.size() >= 5, caller + ": only " + started.size() + " specs were accepted; the test proves little");
    }

    /**
     * Whether {@code pid} runs the spec's shell: jinit-exec, which runs before it, carries the same arguments after its
     * own ("jinit-exec -u … -- /bin/sh /bin/sh -c … never-root"), so the marker alone does not tell them apart.
     */
    private static boolean runsTheShell(int pid) throws IOException {
        List<String> argv = ProcFs.cmdline(pid);
        return argv.contains("never-root") && !argv.contains("jinit-exec");
    }

    private static void assertRestartRunsAs(String id, int firstPid, int uid, List<String> wrong) throws Exception {
        daemon.put("/job/" + id + "/sig/KILL"); // through the API: not a failure, so "always" restarts it
        Map<String, Object> restarted = Eventually.await("job " + id + " to restart", () -> daemon.job(id),
                job -> "running".equals(job.get("state")) && !Integer.valueOf(firstPid).equals(job.get("pid")));
        int pid = (Integer) restarted.get("pid");
        Eventually.await("pid " + pid + " to exec", () -> runsTheShell(pid), done -> done);
        if (!ProcFs.ids(pid, "Uid").equals(List.of(uid, uid, uid, uid))) wrong.add("the restart of " + id + " runs as " + ProcFs.ids(pid, "Uid"));
    }

    // ---- a caller without identity ----

    /**
     * A client that closes its socket right after sending leaves it orphaned, and /proc/net/tcp then lists it
     * with uid 0. Such a caller has no identity: its requests are 401s, never root's. The answer cannot be
     * read (the client is gone), so the proof is what the daemon did: no job of root's, a refusal on the console.
     */
    @Test
    void aClientThatClosesAtOnceIsNobodyNotRoot() throws Exception {
        // A daemon of its own: the console's refusal lines are throttled, and the matrix fills the bucket.
        try (Daemon fresh = Daemon.start()) {
            String body = "{\"exec\":\"/bin/sleep\",\"args\":[\"1000\",\"orphaned-caller\"]}";
            String request = "POST /job HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body;
            int attempts = 10;
            for (int i = 0; i < attempts; i++) {
                Processes.Result sent = Processes.run(List.of(SETPRIV.toString(), "--reuid=" + userUid, "--regid=" + userGid,
                        "--clear-groups", "--", "/bin/bash", "-c", "exec 3<>/dev/tcp/$1/$2 && printf '%s' \"$3\" >&3 && exec 3>&-",
                        "send-and-close", fresh.address().getAddress().getHostAddress(), Integer.toString(fresh.address().getPort()),
                        request), Duration.ofSeconds(30));
                assertEquals(new ExitStatus.Code(0), sent.status(), sent::toString);
            }
            // Each request is refused (the daemon looked after the close) or the user's own (it looked before).
            List<Map<String, Object>> started = Eventually.await("all " + attempts + " requests to be handled", () -> {
                List<Map<String, Object>> jobs = fresh.jobs();
                return jobs.size() + refusals(fresh) >= attempts ? jobs : null;
            }, jobs -> jobs != null);
            for (Map<String, Object> job : started) {
                assertEquals(userUid, job.get("owner"), () -> "a job started by a client that closed at once: " + job);
                int pid = (Integer) job.get("pid");
                assertEquals(userUid, ProcFs.ids(pid, "Uid").getFirst(), () -> "its process: " + job);
            }
            assertTrue(refusals(fresh) > 0, "no request was refused for want of identity: the race was never won\n" + fresh.console());
            fresh.killRunningJobs();
        }
    }

    private static long refusals(Daemon daemon) {
        return daemon.console().lines()
                .filter(line -> line.contains("refused 401: uid unknown POST /job: rule 'identity'")).count();
    }

    // ---- what init opens for a job, it opens as root: a non-admin must not choose it ----

    /** A directory only root may enter, with a secret in it. */
    private static Path rootOnlyDirectory() throws IOException {
        Path dir = Files.createDirectories(Daemon.WORK.resolve("root-only"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Files.writeString(dir.resolve("secret"), "the secret\n");
        Files.deleteIfExists(dir.resolve("written"));
        return dir;
    }

    @Test
    void aNonAdminCannotReadOrWriteFilesThroughStdio() throws Exception {
        Path dir = rootOnlyDirectory();
        List<Object> before = jobsOf(userUid);
        Answer read = call(Who.USER, "POST", "/job", "{\"exec\":\"/bin/cat\",\"stdio\":{\"stdin\":{\"file\":"
                + Json.write(dir.resolve("secret").toString()) + "}}}");
        Answer written = call(Who.USER, "POST", "/job", "{\"exec\":\"/bin/echo\",\"args\":[\"mine now\"],\"stdio\":{\"stdout\":{\"file\":"
                + Json.write(dir.resolve("written").toString()) + "}}}");
        Answer console = call(Who.USER, "POST", "/job", "{\"exec\":\"/bin/true\",\"stdio\":{\"stdin\":\"console\"}}");
        Answer inherit = call(Who.USER, "POST", "/job", "{\"exec\":\"/bin/true\",\"stdio\":{\"stdin\":\"inherit\"}}");
        assertEquals(List.of(403, 403, 403, 403), List.of(read.status(), written.status(), console.status(), inherit.status()),
                () -> List.of(read, written, console, inherit).toString());
        // Refused before init opened anything or made a job: nothing is left that could write the file later.
        assertEquals(before, jobsOf(userUid), "the refused starts left no job behind");
        assertFalse(Files.exists(dir.resolve("written")), "uid " + userUid + " created a file in a root-only directory");
    }

    /** The ids of the jobs {@code uid} owns, as root sees them. */
    private static List<Object> jobsOf(int uid) throws IOException {
        return daemon.jobs().stream().filter(job -> Integer.valueOf(uid).equals(job.get("owner"))).map(job -> job.get("id")).toList();
    }

    @Test
    void aNonAdminCannotHaveInitOpenFdsForIt() throws Exception {
        Path dir = rootOnlyDirectory();
        int port = freePrivilegedPort();
        List<String> refused = new ArrayList<>(List.of("{\"file\":" + Json.write(dir.resolve("secret").toString()) + ",\"mode\":\"r\"}",
                "{\"file\":" + Json.write(dir.resolve("written").toString()) + ",\"mode\":\"w\"}",
                "{\"listen\":\"unix:" + dir.resolve("socket") + "\"}"));
        // A privileged port however it is spelled.
        for (String uri : List.of("tcp://127.0.0.1:" + port, "tcp://127.0.0.1:00" + port, "tcp://[::1]:" + port,
                "tcp://[::ffff:127.0.0.1]:" + port, "udp://127.0.0.1:" + port, "tcp://0.0.0.0:" + port)) {
            refused.add("{\"listen\":\"" + uri + "\"}");
        }
        for (String fd : refused) {
            Answer answer = call(Who.USER, "POST", "/job", "{\"exec\":\"/bin/true\",\"fds\":[" + fd + "]}");
            assertEquals(403, answer.status(), () -> fd + ": " + answer);
        }
        assertFalse(Files.exists(dir.resolve("written")), "uid " + userUid + " created a file in a root-only directory");
        assertFalse(Files.exists(dir.resolve("socket")), "uid " + userUid + " had init make a socket file in a root-only directory");
        try (ServerSocket free = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            // Bound: no refused request left the daemon holding the port.
        }
        // What the user could bind itself, init may bind for it.
        int unprivileged;
        try (ServerSocket probe = new ServerSocket(0)) {
            unprivileged = probe.getLocalPort();
        }
        Answer allowed = call(Who.USER, "POST", "/job", "{\"exec\":\"/bin/true\",\"fds\":[{\"listen\":\"tcp://127.0.0.1:" + unprivileged + "\"}]}");
        assertEquals(201, allowed.status(), allowed::toString);
    }

    @Test
    void aRefusedPutLeavesTheOwnersHeldSocketsOpen() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        String id = "held-" + ids.incrementAndGet();
        daemon.start(id, "{\"exec\":\"/bin/true\",\"fds\":[{\"listen\":\"tcp://127.0.0.1:" + port + "\"}]}");
        daemon.awaitEnded(id);
        assertTrue(listening(port), "an ended job's socket is held until it is deleted or replaced");
        Answer refused = call(Who.USER, "PUT", "/job/" + id, TRUE);
        assertEquals(403, refused.status(), refused::toString);
        assertTrue(listening(port), "a refused PUT by uid " + userUid + " closed root's job's socket");
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            return true;
        } catch (ConnectException e) {
            return false;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static int freePrivilegedPort() throws IOException {
        for (int port = 900; port < 1000; port++) {
            try (ServerSocket probe = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException taken) {
                // try the next
            }
        }
        throw new AssertionError("no free port between 900 and 999");
    }
}
