package jinit.boot;

import static jinit.boot.JobAssertions.assertErrorContaining;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Readiness and the per-job watchdog (issue 14) with real notify clients: Python's socket module, systemd-notify,
 * and s6's fd protocol in sh; and, as real non-root uids, the datagrams a hostile local user could send.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReadinessTest extends OneDaemonPerClass {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path SYSTEMD_NOTIFY = Path.of("/usr/bin/systemd-notify");
    private static final int NOBODY = AccessMatrixTest.NOBODY;

    /**
     * A notify client in Python, driven by its arguments, one step each: {@code send:MSG} (a "\n" in MSG is a
     * newline), {@code waitfile:PATH}, {@code sleep:SECONDS}, {@code pet:N:SECONDS} (N WATCHDOG=1, one per SECONDS),
     * {@code env} (prints the protocol's variables and its pid), {@code hold} (sleeps until killed), {@code to:ADDR}
     * (another socket than $NOTIFY_SOCKET), {@code aspid:PID} (READY=1 claiming another pid: the kernel refuses that to
     * a non-root sender), {@code fds:N} (READY=1 with N descriptors attached), {@code big} (an oversized READY=1),
     * {@code flood:N} (N datagrams, as fast as the socket takes them).
     */
    private static final String CLIENT = """
            import array, os, resource, socket, struct, sys, time
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            address = os.environ.get("NOTIFY_SOCKET", "")
            def target():
                return "\\0" + address[1:] if address.startswith("@") else address
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            def send(message, ancillary=()):
                s.sendmsg([message.encode()], list(ancillary), 0, target())
            for step in sys.argv[1:]:
                verb, _, rest = step.partition(":")
                if verb == "send": send(rest.replace("\\\\n", "\\n"))
                elif verb == "waitfile":
                    while not os.path.exists(rest): time.sleep(0.02)
                elif verb == "sleep": time.sleep(float(rest))
                elif verb == "pet":
                    n, _, every = rest.partition(":")
                    for i in range(int(n)):
                        send("WATCHDOG=1"); time.sleep(float(every))
                elif verb == "env":
                    print("pid=%d group=%d" % (os.getpid(), os.getpgid(0)))
                    for name in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS"):
                        print("%s=%s" % (name, os.environ.get(name)))
                    sys.stdout.flush()
                elif verb == "hold":
                    while True: time.sleep(60)
                elif verb == "to": address = rest
                elif verb == "aspid":
                    try:
                        send("READY=1", [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, struct.pack("iII", int(rest), os.getuid(), os.getgid()))])
                        print("aspid: sent")
                    except OSError as e:
                        print("aspid: refused errno=%d" % e.errno)
                    sys.stdout.flush()
                elif verb == "fds":
                    fd = os.open("/dev/null", os.O_RDONLY)
                    send("READY=1", [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd] * int(rest)))])
                elif verb == "big": send("READY=1\\n" + "x" * 70000)
                elif verb == "flood":
                    s.setblocking(False)
                    sent = 0
                    for i in range(int(rest)):
                        try:
                            send("READY=1\\nWATCHDOG=1\\nSTATUS=flood"); sent += 1
                        except BlockingIOError:
                            time.sleep(0.001)
                    s.setblocking(True)
                    print("flood: sent %d" % sent); sys.stdout.flush()
                else: raise SystemExit("unknown step " + step)
            """;

    private Path client;

    @BeforeAll
    void writeClient() throws Exception {
        client = Files.createDirectories(Daemon.WORK).resolve("notify-client.py");
        Files.writeString(client, CLIENT);
        client.toFile().setReadable(true, false);
        Daemon.WORK.toFile().setExecutable(true, false);
    }

    private void requirePython() {
        Assumptions.assumeTrue(Files.isExecutable(PYTHON), "python3 is not installed at " + PYTHON
                + ": the notify-client tests need Python's socket module");
    }

    /** A job running the Python client with these steps, plus {@code fields}. */
    private String python(List<String> steps, String... fields) {
        StringBuilder spec = new StringBuilder("{\"exec\":\"").append(PYTHON).append("\",\"args\":")
                .append(Json.write(concat(List.of("-u", client.toString()), steps)));
        for (String field : fields) spec.append(',').append(field);
        return spec.append('}').toString();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private Http.Response waitReady(String id, long timeoutMillis) throws Exception {
        return daemon.get("/job/" + id + "?wait=ready&timeout=" + timeoutMillis);
    }

    /** Runs the client outside any job, as {@code uid}, with these steps; returns what it printed. */
    private Processes.Result clientAs(int uid, List<String> steps) throws Exception {
        List<String> argv = new ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=" + uid, "--regid=" + uid,
                "--clear-groups", "--", PYTHON.toString(), "-u", client.toString()));
        argv.addAll(steps);
        Processes.Result result = Processes.run(argv, Duration.ofSeconds(60));
        assertEquals(0, result.status().shellStatus(), result::toString);
        return result;
    }

    /** The address jobs are told, learnt from a notify job's own environment. */
    private String notifySocket() throws Exception {
        requirePython();
        daemon.start("probe-address", python(List.of("env"), "\"ready\":\"notify\""));
        daemon.awaitEnded("probe-address");
        String line = wholeLog("probe-address", "").lines().filter(l -> l.startsWith("NOTIFY_SOCKET=")).findFirst().orElseThrow();
        assertEquals(204, daemon.delete("/job/probe-address").status());
        return line.substring("NOTIFY_SOCKET=".length());
    }

    // ---- the notify protocol ----

    @Test
    void aNotifyJobIsReadyOnlyOnceItSaysSoAndShowsItsStatus() throws Exception {
        requirePython();
        Path go = scratchFile("notify-go");
        daemon.start("notify-py", python(List.of("env", "send:STATUS=warming up", "waitfile:" + go,
                "send:READY=1\\nSTATUS=serving\\nBOGUS=1\\nMAINPID=1", "hold"), "\"ready\":\"notify\""));
        Map<String, Object> before = Eventually.await("the first status", () -> daemon.job("notify-py"),
                job -> "warming up".equals(job.get("status")));
        assertEquals(false, before.get("ready"));
        assertNull(before.get("readyAt"));
        assertEquals("running", before.get("state"));
        assertErrorContaining(408, "was not ready within 300 ms", waitReady("notify-py", 300));

        Files.createFile(go);
        Http.Response ready = waitReady("notify-py", 10_000);
        assertEquals(200, ready.status(), ready::toString);
        Map<String, Object> job = ready.json();
        assertEquals(true, job.get("ready"));
        assertEquals("serving", job.get("status"));
        Instant readyAt = Instant.parse((String) job.get("readyAt"));
        assertFalse(readyAt.isBefore(Instant.parse((String) job.get("startedAt"))));
        assertEquals("notify", ((Map<?, ?>) job.get("spec")).get("ready"));
        // On /events: running, then ready (a status is no event).
        try (Http.Streamed events = Http.stream(daemon.address(), "/events?since=1")) {
            List<String> states = new ArrayList<>();
            while (states.size() < 2) {
                String event = events.readLine();
                assertNotNull(event, "the event stream ended");
                if (event.contains("\"id\":\"notify-py\"")) states.add((String) Json.object(event).get("state"));
            }
            assertEquals(List.of("running", "ready"), states);
        }
        String env = logSoFar("notify-py");
        assertTrue(env.contains("WATCHDOG_USEC=None") && env.contains("WATCHDOG_PID=None"), env);
        assertTrue(env.contains("NOTIFY_SOCKET=@jinit/notify/" + daemon.pid() + "-"), env);
        stopAndForget("notify-py");
    }

    @Test
    void systemdNotifyInAShellJobIsHeardButNotFromAnotherSession() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(SYSTEMD_NOTIFY), "systemd-notify is not installed at " + SYSTEMD_NOTIFY);
        // As nobody, systemd-notify sends from its own pid (only root may claim its parent's): a child in the job's
        // process group, which counts for the job.
        daemon.start("sd-notify", sh(SYSTEMD_NOTIFY + " --ready --status=up; exec sleep 60",
                "\"ready\":\"notify\"", "\"user\":\"nobody\""));
        Http.Response ready = waitReady("sd-notify", 10_000);
        assertEquals(200, ready.status(), ready::toString);
        assertEquals(true, ready.json().get("ready"));
        assertEquals("up", ready.json().get("status"));
        stopAndForget("sd-notify");

        // setsid puts it in a session and group of its own: no longer the job's, so not heard.
        daemon.start("sd-notify-setsid", sh("/usr/bin/setsid -w " + SYSTEMD_NOTIFY + " --ready; exec sleep 60",
                "\"ready\":\"notify\"", "\"user\":\"nobody\""));
        assertErrorContaining(408, "was not ready", waitReady("sd-notify-setsid", 1_500));
        assertEquals(false, daemon.job("sd-notify-setsid").get("ready"));
        stopAndForget("sd-notify-setsid");
    }

    @Test
    void aJobThatEndsBeforeItIsReadyAnswersAWaitAtOnce() throws Exception {
        daemon.start("ends-first", sh("sleep 0.3; exit 4", "\"ready\":\"notify\""));
        long start = System.nanoTime();
        Http.Response answer = waitReady("ends-first", 20_000);
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(200, answer.status(), answer::toString);
        assertEquals("exited", answer.json().get("state"));
        assertEquals(false, answer.json().get("ready"));
        assertEquals(Map.of("code", 4), answer.json().get("exit"));
        assertTrue(tookMs < 15_000, () -> "the wait took " + tookMs + " ms");
        // A job without a protocol is ready as soon as it runs.
        daemon.start("plain", sh("exec sleep 60"));
        Http.Response plain = waitReady("plain", 1_000);
        assertEquals(200, plain.status(), plain::toString);
        assertEquals(true, plain.json().get("ready"));
        assertEquals(plain.json().get("startedAt"), plain.json().get("readyAt"));
        stopAndForget("plain");
        assertEquals(204, daemon.delete("/job/ends-first").status());
    }

    // ---- s6's fd protocol ----

    @Test
    void anFdJobInShIsReadyWhenItWritesANewline() throws Exception {
        Path go = scratchFile("fd-go");
        daemon.start("fd-sh", sh("while [ ! -e '" + go + "' ]; do sleep 0.02; done; echo >&3; exec sleep 60",
                "\"ready\":{\"fd\":3}"));
        assertErrorContaining(408, "was not ready", waitReady("fd-sh", 300));
        Files.createFile(go);
        Http.Response ready = waitReady("fd-sh", 10_000);
        assertEquals(200, ready.status(), ready::toString);
        assertEquals(true, ready.json().get("ready"));
        assertEquals(Map.of("fd", 3), ((Map<?, ?>) ready.json().get("spec")).get("ready"));
        stopAndForget("fd-sh");

        // As another user (started through jinit-exec, whose report pipe comes after the ready fd).
        daemon.start("fd-nobody", sh("echo >&4; exec sleep 60", "\"ready\":{\"fd\":4}", "\"user\":\"nobody\""));
        Http.Response nobodyReady = waitReady("fd-nobody", 10_000);
        assertEquals(200, nobodyReady.status(), nobodyReady::toString);
        assertEquals(true, nobodyReady.json().get("ready"));
        stopAndForget("fd-nobody");

        // Above the fds entries: fd 3 is the file, 4 is /dev/null, 5 the ready pipe; LISTEN_FDS counts only the entry.
        daemon.start("fd-above", sh("echo LISTEN_FDS=$LISTEN_FDS; ls -l /proc/self/fd/4; echo >&5; exec sleep 60",
                "\"ready\":{\"fd\":5}", "\"fds\":[{\"file\":\"/dev/null\"}]"));
        assertEquals(200, waitReady("fd-above", 10_000).status());
        String log = logSoFar("fd-above");
        assertTrue(log.contains("LISTEN_FDS=1") && log.contains("-> /dev/null"), log);
        stopAndForget("fd-above");
    }

    // ---- readyTimeout ----

    @Test
    void aJobNotReadyInTimeIsStoppedAsAFailureAndRestarted() throws Exception {
        // It ends with code 0 on TERM, which on-failure would not restart: the missed deadline is the failure.
        String spec = sh("trap 'exit 0' TERM; while :; do sleep 0.05; done", "\"ready\":\"notify\"",
                "\"readyTimeout\":300", "\"restart\":{\"policy\":\"on-failure\",\"delay\":50,\"burst\":2,\"window\":60000}");
        daemon.start("late", spec);
        Map<String, Object> job = Eventually.await("the restarts to give up", Duration.ofSeconds(30), () -> daemon.job("late"),
                j -> "exited".equals(j.get("state")));
        assertEquals(2, job.get("restarts"), job::toString);
        assertEquals(true, job.get("gaveUp"), job::toString);
        assertEquals(Map.of("code", 0), job.get("exit"));
        assertEquals(false, job.get("ready"));
        String log = wholeLog("late", "");
        assertTrue(log.contains("not ready within 300 ms; stopping it"), log);
        assertEquals(204, daemon.delete("/job/late").status());
    }

    // ---- the watchdog ----

    @Test
    void aJobThatStopsPettingItsWatchdogGetsAbrtAndIsRestarted() throws Exception {
        requirePython();
        String spec = python(List.of("env", "send:READY=1", "pet:4:0.1", "hold"), "\"ready\":\"notify\"",
                "\"watchdog\":600", "\"stopTimeout\":2000", "\"restart\":{\"policy\":\"on-failure\",\"delay\":50,\"burst\":1,\"window\":60000}");
        int pid = daemon.start("wd", spec);
        Map<String, Object> job = Eventually.await("the watchdog to fire twice", Duration.ofSeconds(30), () -> daemon.job("wd"),
                j -> "exited".equals(j.get("state")));
        assertEquals(Map.of("signal", "ABRT", "watchdog", true), job.get("exit"), job::toString);
        assertEquals(1, job.get("restarts"), "one restart for the first watchdog kill, then the burst of 1 gives up");
        assertEquals(true, job.get("gaveUp"));
        String log = wholeLog("wd", "");
        assertTrue(log.contains("WATCHDOG_USEC=600000"), log);
        assertTrue(log.contains("pid=" + pid + " ") && log.contains("WATCHDOG_PID=" + pid), log);
        assertTrue(log.contains("watchdog: no WATCHDOG=1 for"), log);
        assertEquals(204, daemon.delete("/job/wd").status());
    }

    // ---- who may notify ----

    @Test
    void anotherJobOrAnotherUidCannotNotifyForAJob() throws Exception {
        requirePython();
        String socket = notifySocket();
        Path go = scratchFile("spoof-go");
        // The victim is never ready by itself and its watchdog would fire 800 ms after it is.
        daemon.start("victim", python(List.of("waitfile:" + go, "send:READY=1", "hold"), "\"ready\":\"notify\"",
                "\"watchdog\":800", "\"stopTimeout\":500"));
        int victim = (Integer) daemon.job("victim").get("pid");

        // Another job sends on the same socket: its datagrams count for itself, never for the victim.
        daemon.start("other", python(List.of("send:READY=1\\nSTATUS=I am the victim", "hold"), "\"ready\":\"notify\""));
        assertEquals(200, waitReady("other", 10_000).status());
        // Another uid, outside any job: may not even claim the victim's pid, and what it sends in its own is ignored.
        Processes.Result spoof = clientAs(NOBODY, List.of("to:" + socket, "aspid:" + victim, "send:READY=1\\nSTATUS=owned",
                "send:WATCHDOG=1"));
        assertTrue(spoof.stdout().contains("aspid: refused errno=1"), spoof::toString); // EPERM, from the kernel
        assertErrorContaining(408, "was not ready", waitReady("victim", 500));
        Map<String, Object> untouched = daemon.job("victim");
        assertEquals(false, untouched.get("ready"));
        assertNull(untouched.get("status"));

        // Once ready, its watchdog fires although nobody keeps petting it from outside.
        Files.createFile(go);
        assertEquals(200, waitReady("victim", 10_000).status());
        Processes.Result petting = clientAs(NOBODY, List.of("to:" + socket, "pet:15:0.1"));
        Map<String, Object> ended = daemon.awaitEnded("victim");
        assertEquals(Map.of("signal", "ABRT", "watchdog", true), ended.get("exit"), petting::toString);
        stopAndForget("other");
        assertEquals(204, daemon.delete("/job/victim").status());
    }

    @Test
    void floodsOversizedDatagramsAndPassedFdsFromAnotherUidLeaveInitWhole() throws Exception {
        requirePython();
        String socket = notifySocket();
        // The socket exists now: count init's descriptors with it open.
        long fdsBefore = openFds();
        Processes.Result attack = clientAs(NOBODY, List.of("to:" + socket, "big", "fds:200", "fds:253", "flood:20000", "fds:1"));
        assertTrue(attack.stdout().contains("flood: sent"), attack::toString);
        // Everything the flood queued is read, and every descriptor that came with it closed.
        long fdsAfter = Eventually.await("init to close what it was sent", () -> openFds(), n -> n <= fdsBefore + 2);
        assertTrue(fdsAfter <= fdsBefore + 2, () -> fdsBefore + " fds before, " + fdsAfter + " after");
        // Still serving, and still hearing its own jobs.
        daemon.start("after-flood", python(List.of("send:READY=1", "hold"), "\"ready\":\"notify\""));
        assertEquals(200, waitReady("after-flood", 10_000).status());
        stopAndForget("after-flood");
    }

    // ---- validation ----

    @Test
    void badReadinessFieldsAreRefusedNamingTheField() throws Exception {
        assertErrorContaining(400, "field 'ready'", daemon.post("/job", sh("true", "\"ready\":\"bogus\"")));
        assertErrorContaining(400, "field 'ready.fd' is out of range", daemon.post("/job", sh("true", "\"ready\":{\"fd\":2}")));
        assertErrorContaining(400, "field 'ready.fd' is out of range", daemon.post("/job", sh("true", "\"ready\":{\"fd\":99999999999}")));
        assertErrorContaining(400, "unknown field 'ready.fd2'", daemon.post("/job", sh("true", "\"ready\":{\"fd2\":3}")));
        assertErrorContaining(422, "field 'ready.fd': fd 3 is taken by 'fds'",
                daemon.post("/job", sh("true", "\"ready\":{\"fd\":3}", "\"fds\":[{\"file\":\"/dev/null\"}]")));
        assertErrorContaining(422, "field 'watchdog' needs \"ready\": \"notify\"", daemon.post("/job", sh("true", "\"watchdog\":1000")));
        assertErrorContaining(422, "field 'watchdog' needs", daemon.post("/job", sh("true", "\"ready\":{\"fd\":3}", "\"watchdog\":1000")));
        assertErrorContaining(422, "field 'readyTimeout' needs 'ready'", daemon.post("/job", sh("true", "\"readyTimeout\":1000")));
        assertErrorContaining(400, "field 'readyTimeout' is out of range", daemon.post("/job", sh("true", "\"ready\":\"notify\"", "\"readyTimeout\":-1")));
        assertErrorContaining(400, "field 'watchdog' is out of range", daemon.post("/job", sh("true", "\"ready\":\"notify\"", "\"watchdog\":86400001")));
        assertErrorContaining(400, "field 'watchdog' must be a whole number", daemon.post("/job", sh("true", "\"ready\":\"notify\"", "\"watchdog\":1.5")));
    }

    private long openFds() throws Exception {
        try (var entries = Files.list(Path.of("/proc/" + daemon.pid() + "/fd"))) {
            return entries.count();
        }
    }

    private String logSoFar(String id) throws Exception {
        return log(id, false, "").text();
    }

    private void stopAndForget(String id) throws Exception {
        stop(id, "?timeout=2000");
        daemon.awaitEnded(id);
        assertEquals(204, daemon.delete("/job/" + id).status());
    }
}
