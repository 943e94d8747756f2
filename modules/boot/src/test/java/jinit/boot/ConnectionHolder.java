package jinit.boot;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jinit.api.Signal;

/**
 * A real client process, running as a real uid under {@code setpriv}, that opens many connections to the daemon
 * and holds them: python3, since curl holds one connection at a time. It opens {@code count} connections one after
 * the other, sends each a request (cycling through {@code paths}) or nothing at all, watches what the daemon does
 * with them, and then reports one JSON line and {@code READY}; it holds whatever is still open until it is stopped.
 */
final class ConnectionHolder implements AutoCloseable {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

    /**
     * Each connection ends up as "STATUS open" or "STATUS closed" (closed by the daemon), STATUS being the answer's
     * status code or "none". A short answer comes in one read, so a kept-alive connection reads as "200 open".
     * Watching stops once no connection has changed for a second, or, with until-closed, once every one is closed;
     * with one-by-one, each request's answer is awaited before the next connection is opened.
     */
    private static final String SCRIPT = """
            import json, resource, selectors, signal, socket, sys, time
            host, port, count, mode, paths = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5:]
            hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            conns, started = [], time.monotonic()
            for i in range(count):
                s = socket.create_connection((host, port))
                c = {"socket": s, "data": b"", "closed": None}
                if paths:
                    s.sendall(("GET %s HTTP/1.1\\r\\nHost: %s:%d\\r\\n\\r\\n" % (paths[i % len(paths)], host, port)).encode())
                if mode == "one-by-one":
                    s.settimeout(30)
                    c["data"] = s.recv(65536)
                    s.settimeout(None)
                conns.append(c)
            opened = time.monotonic()
            selector = selectors.DefaultSelector()
            for c in conns:
                selector.register(c["socket"], selectors.EVENT_READ, c)
            last_change, deadline = time.monotonic(), time.monotonic() + 180
            while time.monotonic() < deadline:
                if mode == "until-closed":
                    if all(c["closed"] is not None for c in conns): break
                elif time.monotonic() - last_change > 1.0:
                    break
                for key, _ in selector.select(0.1):
                    c = key.data
                    try:
                        chunk = c["socket"].recv(65536)
                    except OSError:
                        chunk = b""
                    if not c["data"] or not chunk:
                        last_change = time.monotonic()
                    if chunk:
                        c["data"] += chunk
                    else:
                        c["closed"] = time.monotonic() - opened
                        selector.unregister(c["socket"])
            counts, refusal, closed_after = {}, None, []
            for c in conns:
                status = c["data"][9:12].decode() if c["data"].startswith(b"HTTP/1.1 ") else "none"
                state = status + (" closed" if c["closed"] is not None else " open")
                counts[state] = counts.get(state, 0) + 1
                if status == "429" and refusal is None:
                    refusal = c["data"].split(b"\\r\\n\\r\\n", 1)[-1].decode()
                if c["closed"] is not None:
                    closed_after.append(int(c["closed"] * 1000))
            closed_after.sort()
            print(json.dumps({"counts": counts, "refusal": refusal, "closedAfterMs": closed_after,
                              "openedInMs": int((opened - started) * 1000)}), flush=True)
            print("READY", flush=True)
            signal.pause()
            """;

    /**
     * What the holder saw: how many connections ended in each state, the first 429's body, when each was closed (ms
     * after the last one was opened), and how long opening them all took.
     */
    record Report(Map<String, Integer> counts, String refusal, List<Integer> closedAfterMs, int openedInMs) {
        int count(String state) {
            return counts.getOrDefault(state, 0);
        }

        /** Connections still open: answered and held (a stream, a kept-alive connection), or still unanswered (a wait). */
        int open() {
            return counts.entrySet().stream().filter(e -> e.getKey().endsWith(" open")).mapToInt(Map.Entry::getValue).sum();
        }
    }

    private final int pid;
    private final Path stdout;
    private final Path stderr;

    private ConnectionHolder(int pid, Path stdout, Path stderr) {
        this.pid = pid;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /**
     * Starts a holder as {@code uid} (group {@code uid} too, no others) against {@code daemon}.
     *
     * @param mode  "settle" (report once nothing changed for a second), "one-by-one" (the same, each answer awaited
     *              before the next connection) or "until-closed" (report once the daemon has closed them all)
     * @param paths the request targets, GETs, cycled; none: the connections send nothing
     */
    static ConnectionHolder start(Daemon daemon, int uid, int count, String mode, String... paths) throws Exception {
        assertTrue(Files.isExecutable(PYTHON) && Files.isExecutable(SETPRIV), "these tests need python3 and setpriv (util-linux)");
        Path dir = Files.createDirectories(Daemon.WORK.resolve("holders"));
        Path stdout = Files.createTempFile(dir, "holder-" + uid + "-", ".out");
        Path stderr = Files.createTempFile(dir, "holder-" + uid + "-", ".err");
        List<String> argv = new ArrayList<>(List.of(SETPRIV.toString(), "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--",
                PYTHON.toString(), "-I", "-S", "-c", SCRIPT, daemon.address().getAddress().getHostAddress(),
                Integer.toString(daemon.address().getPort()), Integer.toString(count), mode));
        argv.addAll(List.of(paths));
        return new ConnectionHolder(Processes.spawn(argv, Map.of("PATH", "/usr/bin:/bin"), stdout, stderr), stdout, stderr);
    }

    /** Waits for the report; the holder keeps its connections open after it. */
    @SuppressWarnings("unchecked")
    Report report(Duration patience) throws Exception {
        String out = Eventually.await("holder " + pid + " to report", patience, () -> {
            String text = Files.readString(stdout);
            if (!text.contains("READY") && Processes.exitOf(pid).isPresent()) {
                throw new AssertionError("the holder ended: " + Processes.exitOf(pid).get() + "\n" + text + Files.readString(stderr));
            }
            return text;
        }, text -> text.contains("READY"));
        Map<String, Object> json = Json.object(out.lines().findFirst().orElseThrow());
        Map<String, Integer> counts = (Map<String, Integer>) (Map<String, ?>) json.get("counts");
        return new Report(counts, (String) json.get("refusal"), (List<Integer>) (List<?>) json.get("closedAfterMs"),
                (Integer) json.get("openedInMs"));
    }

    /** Ends the holder: the kernel closes its sockets, as it would for a client that was killed. */
    @Override
    public void close() throws Exception {
        Processes.signal(pid, Signal.KILL);
        Processes.awaitExit(pid, Duration.ofSeconds(30));
        Files.deleteIfExists(stdout);
        Files.deleteIfExists(stderr);
    }

    @Override
    public String toString() {
        try {
            return "holder " + pid + ": " + Files.readString(stdout) + Files.readString(stderr);
        } catch (IOException e) {
            return "holder " + pid;
        }
    }
}
