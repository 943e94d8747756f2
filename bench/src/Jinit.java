import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** One jinit daemon started from the runtime image, as a plain process (not PID 1), and its API. */
final class Jinit extends Daemon {
    /** Pids of jobs this harness started, so that a failed run can still kill them (see close). */
    private final List<Long> jobPids = Collections.synchronizedList(new ArrayList<>());

    private Jinit(Process process, int port, long startupNanos) {
        super(process, port, startupNanos);
    }

    static Jinit start(Path image, Path log) throws IOException, InterruptedException {
        int port = Proc.freePort();
        long t0 = System.nanoTime();
        // Each daemon its own token file: the default /run/jinit/token belongs to whatever jinit runs there.
        Map<String, String> env = Map.of("JINIT_TOKEN_FILE", log.resolveSibling(log.getFileName() + ".token").toString());
        Process p = Proc.start(List.of(image.resolve("bin/jinit").toString(), "--port", Integer.toString(port), "--stay"), log, env);
        long ready = Daemon.awaitFirstAnswer(p, log, () -> {
            try (Http h = new Http("127.0.0.1", port)) {
                return h.get("/jobs").status() == 200;
            }
        });
        return new Jinit(p, port, ready - t0);
    }

    /** POST /job; returns the id, or null when the table is full (507). */
    String startJob(Http h, String exec, String... args) throws IOException {
        return startJobWith(h, "", exec, args);
    }

    /** The same, with {@code moreFields} (",\"name\":value...") added to the spec. */
    String startJobWith(Http h, String moreFields, String exec, String... args) throws IOException {
        StringBuilder body = new StringBuilder("{\"exec\":").append(Json.quote(exec)).append(",\"args\":[");
        for (int i = 0; i < args.length; i++) body.append(i > 0 ? "," : "").append(Json.quote(args[i]));
        Http.Response r = h.send("POST", "/job", "application/json", body.append("]").append(moreFields).append("}").toString());
        if (r.status() == 507) return null;
        if (r.status() != 201) throw new IOException("POST /job: " + r.status() + " " + r.text());
        // The id and pid are cut out of the answer by hand: a full parse would be measured as client time.
        String text = r.text();
        jobPids.add(Long.parseLong(field(text, "\"pid\":")));
        return field(text, "\"id\":\"");
    }

    private static String field(String json, String key) {
        int from = json.indexOf(key) + key.length();
        int to = from;
        while (to < json.length() && json.charAt(to) != '"' && json.charAt(to) != ',' && json.charAt(to) != '}') to++;
        return json.substring(from, to);
    }

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> jobs(Http h) throws IOException {
        Http.Response r = h.get("/jobs");
        if (r.status() != 200) throw new IOException("GET /jobs: " + r.status());
        return (List<Map<String, Object>>) (List<?>) Json.array(r.text());
    }

    /** The number of jobs that have not ended ("running", or "backoff" between restarts). */
    long running(Http h) throws IOException {
        return jobs(h).stream().filter(j -> !"exited".equals(j.get("state"))).count();
    }

    /** Polls GET /jobs (1 ms apart) until no job is running; returns System.nanoTime() of that answer. */
    long awaitNoneRunning(Http h, long timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (true) {
            long n = running(h);
            long now = System.nanoTime();
            if (n == 0) return now;
            if (now > deadline) throw new IOException(n + " jobs still running after " + timeoutMillis + " ms");
            Proc.sleep(1);
        }
    }

    void delete(Http h, String id) throws IOException {
        int status = h.send("DELETE", "/job/" + id, null, null).status();
        if (status != 204 && status != 200) throw new IOException("DELETE /job/" + id + ": " + status);
    }

    /** POST /job/:id/stop?wait=0: TERM now (KILL after the job's stopTimeout), answered at once. */
    void stop(Http h, String id) throws IOException {
        Http.Response r = h.send("POST", "/job/" + id + "/stop?wait=0", "application/json", "");
        // 202: stopping; 200: it had ended already.
        if (r.status() != 202 && r.status() != 200) throw new IOException("POST /job/" + id + "/stop: " + r.status() + " " + r.text());
    }

    /** Deletes every ended job, on {@code clients} connections in parallel. */
    void deleteAll(int clients) throws Exception {
        List<String> ids;
        try (Http h = connect()) {
            ids = jobs(h).stream().filter(j -> "exited".equals(j.get("state"))).map(j -> (String) j.get("id")).toList();
        }
        Parallel.forEach(ids, clients, this::connect, (h, id) -> delete(h, id));
        jobPids.clear();
    }

    /**
     * SIGTERM: jinit stops its jobs and exits. If it has not within the grace period, the jobs this harness
     * started are killed (while jinit is still their parent, so no reused pid is hit) and then jinit.
     */
    @Override
    public void close() throws InterruptedException {
        if (!process.isAlive()) return;
        process.destroy();
        if (process.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) return;
        int killed = Proc.killChildren(pid(), List.copyOf(jobPids));
        System.err.println("bench: jinit " + pid() + " did not exit on TERM; killed it and " + killed + " of its jobs");
        process.destroyForcibly();
        process.waitFor();
    }
}
