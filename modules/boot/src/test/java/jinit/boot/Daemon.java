package jinit.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jinit.api.ExitStatus;
import jinit.api.Signal;
import jinit.posix.Posix;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real daemon, {@code jinit.boot.Main} in a JVM of its own, started from the test JVM's own
 * module path with {@code jinit.posix} (never ProcessBuilder) and reaped by the test JVM's reaper.
 * Its stdout and stderr go to files under {@code target/it/}, which are kept for a failed run to be
 * read: a file never fills up, so no job ever blocks on the daemon's output.
 */
final class Daemon implements AutoCloseable {
    /** Where daemons, their consoles and the tests' scratch files live: not /tmp, which a PID 1 daemon mounts over. */
    static final Path WORK = Path.of(System.getProperty("user.dir"), "target", "it").toAbsolutePath();
    private static final Path UNSHARE = Path.of("/usr/bin/unshare");
    private static final Pattern SERVING = Pattern.compile("serving the API on http://([0-9.]+):(\\d+) \\(pid (\\d+)\\)");
    private static final Duration STOP_PATIENCE = Duration.ofSeconds(30);

    /**
     * How to start it.
     *
     * @param stay         pass {@code --stay}: keep serving after the boot job ends
     * @param pidNamespace run it as PID 1 of a new PID namespace, under {@code unshare --pid --fork --mount-proc}
     * @param environment  the daemon's entire environment, which jobs without "envs" inherit
     * @param nextCommand  the boot job, after {@code --}; empty for none
     * @param jvmOptions   more options for the daemon's JVM (e.g. {@code -Dsun.net.httpserver.idleInterval=2}), after the defaults
     */
    record Config(boolean stay, boolean pidNamespace, Map<String, String> environment, List<String> nextCommand,
                  List<String> jvmOptions) {
        /** A marker that tells the daemon's own environment apart from the test JVM's. */
        static final String MARKER = "JINIT_IT_DAEMON";

        Config(boolean stay, boolean pidNamespace, Map<String, String> environment, List<String> nextCommand) {
            this(stay, pidNamespace, environment, nextCommand, List.of());
        }

        static Config defaults() {
            Map<String, String> environment = new LinkedHashMap<>();
            environment.put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
            environment.put("HOME", "/root");
            environment.put("LANG", "C.UTF-8");
            environment.put(MARKER, "yes");
            return new Config(true, false, environment, List.of());
        }

        Config exitWithBootJob() {
            return new Config(false, pidNamespace, environment, nextCommand, jvmOptions);
        }

        /** PID 1 of a namespace would arm a watchdog it finds in /dev: on a host that has one, that resets the host. */
        Config inPidNamespace() {
            return new Config(stay, true, environment, nextCommand, jvmOptions).withEnvironment("JINIT_WATCHDOG", "off");
        }

        Config withEnvironment(String key, String value) {
            Map<String, String> changed = new LinkedHashMap<>(environment);
            changed.put(key, value);
            return new Config(stay, pidNamespace, changed, nextCommand, jvmOptions);
        }

        Config boot(String... command) {
            return new Config(stay, pidNamespace, environment, List.of(command), jvmOptions);
        }

        Config withJvmOptions(String... options) {
            List<String> more = new ArrayList<>(jvmOptions);
            more.addAll(List.of(options));
            return new Config(stay, pidNamespace, environment, nextCommand, List.copyOf(more));
        }
    }

    private final Config config;
    private final Path dir;
    private final int launcherPid;
    private int pid;
    private InetSocketAddress address;

    private Daemon(Config config, Path dir, int launcherPid) {
        this.config = config;
        this.dir = dir;
        this.launcherPid = launcherPid;
    }

    /** An ordinary daemon: not PID 1, {@code --stay}, no boot job. */
    static Daemon start() throws Exception {
        return start(Config.defaults());
    }

    /** Starts the daemon and waits until it says it is serving. */
    static Daemon start(Config config) throws Exception {
        Path dir = Files.createTempDirectory(Files.createDirectories(WORK), "daemon-");
        List<String> argv = new ArrayList<>();
        if (config.pidNamespace()) argv.addAll(List.of(UNSHARE.toString(), "--pid", "--fork", "--mount-proc"));
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.addAll(List.of("-p", modulePath(), "-cp", classPath()));
        // The image's behaviour-changing flags (jlink/link).
        argv.addAll(List.of("--enable-native-access=org.jnrproject.jffi", "-Dsun.net.httpserver.nodelay=true"));
        execHelper().ifPresent(helper -> argv.add("-D" + Posix.EXEC_HELPER_PROPERTY + "=" + helper));
        // -Djinit.it.daemonJvmOptions="-XX:ActiveProcessorCount=8" plays a CI machine bigger than this one.
        String extra = System.getProperty("jinit.it.daemonJvmOptions", "").strip();
        if (!extra.isEmpty()) argv.addAll(List.of(extra.split("\\s+")));
        argv.addAll(config.jvmOptions());
        argv.addAll(List.of("-m", "jinit.boot/jinit.boot.Main", "--port", "0"));
        // A token file of its own: daemons running side by side must not overwrite each other's (or the host's).
        argv.addAll(List.of("--token-file", dir.resolve("token").toString()));
        if (config.stay()) argv.add("--stay");
        if (!config.nextCommand().isEmpty()) {
            argv.add("--");
            argv.addAll(config.nextCommand());
        }
        int launcher = Processes.spawn(argv, config.environment(), dir.resolve("stdout"), dir.resolve("stderr"));
        Daemon daemon = new Daemon(config, dir, launcher);
        try {
            daemon.awaitServing();
        } catch (Throwable e) {
            daemon.kill();
            throw e;
        }
        return daemon;
    }

    /**
     * The test JVM's module path holds jinit's modules and the named libraries; Surefire puts the
     * rest on the class path, among them jffi's native jar, from which jffi (an automatic module)
     * unpacks its stub. The daemon gets both, less this module's test classes.
     */
    private static String modulePath() {
        String path = System.getProperty("jdk.module.path");
        if (path == null || path.isEmpty()) {
            throw new IllegalStateException("jdk.module.path is not set: run these tests on the module path (Surefire does)");
        }
        return path;
    }

    private static String classPath() {
        return Arrays.stream(System.getProperty("java.class.path", "").split(File.pathSeparator))
                .filter(entry -> !entry.isEmpty() && !entry.endsWith("test-classes"))
                .reduce((a, b) -> a + File.pathSeparator + b)
                .orElse("");
    }

    /**
     * The jinit-exec helper that jobs with {@code fds} are started through: the test JVM's own
     * {@code -Djinit.execHelper} when set, else the one the posix module's build leaves in its target
     * directory. Without it the daemon falls back to {@code <java.home>/lib/jinit-exec}, which a plain
     * JDK lacks, and answers 422 to any spec with {@code fds}.
     */
    static Optional<Path> execHelper() {
        String configured = System.getProperty(Posix.EXEC_HELPER_PROPERTY);
        if (configured != null) return Optional.of(Path.of(configured));
        Path built = Path.of(System.getProperty("user.dir")).toAbsolutePath().resolveSibling("posix")
                .resolve("target/native/jinit-exec");
        return Files.isExecutable(built) ? Optional.of(built) : Optional.empty();
    }

    private void awaitServing() throws Exception {
        Matcher serving = Eventually.await("the daemon to serve the API", () -> {
            Optional<ExitStatus> ended = exit(); // read before the console, which may then have gained the line
            Matcher matcher = SERVING.matcher(console());
            if (!matcher.find()) {
                if (ended.isPresent()) throw new AssertionError("the daemon ended before serving: " + ended.get() + "\n" + console());
                return null;
            }
            return matcher;
        }, Objects::nonNull);
        address = new InetSocketAddress(serving.group(1), Integer.parseInt(serving.group(2)));
        if (!config.pidNamespace()) {
            pid = launcherPid;
            assertEquals(pid, Integer.parseInt(serving.group(3)), "the pid the daemon reports");
        } else {
            assertEquals(1, Integer.parseInt(serving.group(3)), "the daemon's pid in its namespace");
            // unshare --fork waits for one child: the namespace's init, our daemon.
            pid = Eventually.await("unshare's child", () -> ProcFs.children(launcherPid), c -> c.size() == 1).getFirst().pid();
        }
    }

    /** The daemon's pid as this test JVM sees it (for a PID namespace, not 1 but its pid outside). */
    int pid() {
        return pid;
    }

    /** Our own child: the daemon's JVM, or the unshare process around it. */
    int launcherPid() {
        return launcherPid;
    }

    InetSocketAddress address() {
        return address;
    }

    /** A plain TCP connection to the API, for a test that writes its requests byte by byte. */
    Socket connect() throws IOException {
        return new Socket(address.getAddress(), address.getPort());
    }

    String baseUrl() {
        return "http://" + address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    Path dir() {
        return dir;
    }

    Config config() {
        return config;
    }

    /** What the daemon (and the boot job) wrote to stderr: init's console. */
    String console() {
        try {
            return Files.readString(dir.resolve("stderr"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(console unreadable: " + e + ")";
        }
    }

    Path stdoutFile() {
        return dir.resolve("stdout");
    }

    /** The per-boot admin token the daemon wrote to its {@code --token-file}. */
    String token() throws IOException {
        return Files.readString(dir.resolve("token"), StandardCharsets.US_ASCII).strip();
    }

    // ---- HTTP ----

    Http.Response request(String method, String path, Map<String, String> headers, byte[] body) throws IOException {
        return Http.request(address, method, path, headers, body);
    }

    Http.Response get(String path) throws IOException {
        return request("GET", path, Map.of(), null);
    }

    Http.Response delete(String path) throws IOException {
        return request("DELETE", path, Map.of(), null);
    }

    /** A PUT without a body, as the signal route takes it. */
    Http.Response put(String path) throws IOException {
        return request("PUT", path, Map.of(), null);
    }

    Http.Response put(String path, String json) throws IOException {
        return request("PUT", path, Map.of("Content-Type", "application/json"), json.getBytes(StandardCharsets.UTF_8));
    }

    Http.Response post(String path, String json) throws IOException {
        return request("POST", path, Map.of("Content-Type", "application/json"), json.getBytes(StandardCharsets.UTF_8));
    }

    /** GET /job/:id, which must exist. */
    Map<String, Object> job(String id) throws IOException {
        Http.Response response = get("/job/" + id);
        assertEquals(200, response.status(), () -> "GET /job/" + id + ": " + response);
        return response.json();
    }

    List<Map<String, Object>> jobs() throws IOException {
        Http.Response response = get("/jobs");
        assertEquals(200, response.status(), () -> "GET /jobs: " + response);
        return Json.array(response.text());
    }

    /** PUTs {@code spec} under {@code id}, which must start; returns the job's pid. */
    int start(String id, String spec) throws IOException {
        Http.Response response = put("/job/" + id, spec);
        assertEquals(201, response.status(), () -> "PUT /job/" + id + " " + spec + ": " + response);
        return (Integer) response.json().get("pid");
    }

    /** Waits until job {@code id} has ended and returns it. */
    Map<String, Object> awaitEnded(String id) throws Exception {
        return Eventually.await("job '" + id + "' to end", () -> job(id), job -> "exited".equals(job.get("state")));
    }

    /** KILLs every running job and waits for each to end, so that a test leaves no process behind. */
    void killRunningJobs() throws Exception {
        for (Map<String, Object> job : jobs()) {
            if ("running".equals(job.get("state"))) {
                put("/job/" + job.get("id") + "/sig/KILL");
                awaitEnded((String) job.get("id"));
            }
        }
    }

    /** Processes whose parent is the daemon right now: its jobs, adopted orphans, and zombies of either. */
    List<ProcFs.Proc> children() throws IOException {
        return ProcFs.children(pid);
    }

    // ---- the end ----

    Optional<ExitStatus> exit() {
        return Processes.exitOf(launcherPid);
    }

    /** Waits for the daemon (or its unshare) to end by itself. */
    ExitStatus awaitExit() throws Exception {
        try {
            return Processes.awaitExit(launcherPid, STOP_PATIENCE);
        } catch (TimeoutException e) {
            kill();
            throw new AssertionError("the daemon did not end within " + STOP_PATIENCE + "\n" + console(), e);
        }
    }

    /** Sends {@code signal} to the daemon itself and waits for it to end. */
    ExitStatus stop(int signal) throws Exception {
        signalDaemon(signal);
        return awaitExit();
    }

    /**
     * Stops a daemon that is still running with TERM and asserts that it exits: with status 0 when
     * it is an ordinary process; as PID 1, reboot(2) ends the namespace, which kills it with SIGHUP.
     */
    @Override
    public void close() throws Exception {
        if (exit().isPresent()) return;
        ExitStatus status = stop(Signal.TERM);
        ExitStatus expected = config.pidNamespace() ? new ExitStatus.Code(128 + 1) : new ExitStatus.Code(0);
        assertEquals(expected.shellStatus(), status.shellStatus(), () -> "the daemon's exit after TERM: " + status + "\n" + console());
    }

    /** Last resort for a daemon that would not stop: KILL (for PID 1, this ends its whole namespace). */
    private void kill() throws Exception {
        if (pid != 0) signalDaemon(Signal.KILL);
        Processes.signal(launcherPid, Signal.KILL);
        Processes.awaitExit(launcherPid, STOP_PATIENCE);
    }

    /**
     * Signals the daemon. Ours to reap unless it is a namespace's init, which unshare reaps: that one
     * is signalled only while unshare still runs, so the pid cannot have been reused yet.
     */
    void signalDaemon(int signal) throws Exception {
        if (pid == launcherPid) {
            Processes.signal(pid, signal);
        } else if (exit().isEmpty() && ProcFs.proc(pid).filter(p -> p.ppid() == launcherPid).isPresent()) {
            Processes.POSIX.kill(pid, signal);
        }
    }
}
