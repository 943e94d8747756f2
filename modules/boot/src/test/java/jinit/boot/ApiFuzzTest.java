package jinit.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import jinit.boot.FuzzCases.Case;
import net.jqwik.api.Example;
import net.jqwik.api.RandomGenerator;

/**
 * Hostile requests against one real daemon, over raw sockets, from several clients at once (issue 5): the
 * cases come from jqwik arbitraries ({@link FuzzCases}), each client drawing from its own seeded generator.
 * Afterwards the daemon still answers, no answer was a 5xx, its fds and threads are back where they were,
 * and every job it ever ran was one the fuzzer meant to start.
 *
 * <p>{@code -Djinit.fuzz.requests=N} (default 100,000), {@code -Djinit.fuzz.clients=N} (default 8) and
 * {@code -Djinit.fuzz.seed=S} (printed by every run) repeat or lengthen a run.
 */
class ApiFuzzTest {
    private static final int REQUESTS = Integer.getInteger("jinit.fuzz.requests", 100_000);
    private static final int CLIENTS = Integer.getInteger("jinit.fuzz.clients", 8);
    private static final long SEED = Long.getLong("jinit.fuzz.seed", new Random().nextLong());
    /** Longer than anything the daemon may take to answer or to cut a connection. */
    private static final int ANSWER_TIMEOUT_MS = 15_000;
    /** Half-open connections each client keeps at a time; the server cuts them after maxReqTime. */
    private static final int PARKED_PER_CLIENT = 8;
    /** How long fds and threads may take to come back: the virtual-thread scheduler retires spare carriers after 30 s. */
    private static final Duration SETTLE = Duration.ofSeconds(90);
    /** The daemon under test closes connections idle for 2 s; a client reuses one idle for at most 1 s. */
    private static final long IDLE_REUSE_NANOS = 1_000_000_000L;

    /** What the run saw, shared by the clients. */
    private static final class Record {
        final Map<String, LongAdder> answers = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final AtomicInteger failureCount = new AtomicInteger();
        final Set<String> created = ConcurrentHashMap.newKeySet();
        final LongAdder starts = new LongAdder();
        final LongAdder deletedByJanitor = new LongAdder();

        final Map<String, LongAdder> nanos = new ConcurrentHashMap<>();
        final Map<String, String> examples = new ConcurrentHashMap<>();

        void count(String what) {
            answers.computeIfAbsent(what, key -> new LongAdder()).increment();
        }

        void time(String kind, long since) {
            nanos.computeIfAbsent(kind, key -> new LongAdder()).add(System.nanoTime() - since);
        }

        void fail(String what, Case c) {
            if (failureCount.incrementAndGet() <= 40) failures.add(what + "\n    after: " + FuzzCases.describe(c));
        }
    }

    @Example
    void theDaemonSurvivesHostileRequests() throws Exception {
        // Short server timeouts (the defaults are 10 s and 30 s), so that what clients leave open is cut quickly.
        Daemon daemon = Daemon.start(Daemon.Config.defaults().withJvmOptions("-Dsun.net.httpserver.maxReqTime=2",
                "-Dsun.net.httpserver.idleInterval=2", "-Dsun.net.httpserver.clockTick=500"));
        try {
            run(daemon);
        } finally {
            daemon.killRunningJobs();
            daemon.close();
        }
    }

    private static void run(Daemon daemon) throws Exception {
        String wrongToken = "f".repeat(daemon.token().length());
        DaemonUsage baseline = DaemonUsage.atRestAfterWarmUp(daemon);
        System.out.printf("fuzz: seed %d (-Djinit.fuzz.seed), %d requests from %d clients; daemon pid %d at rest: %s%n",
                SEED, REQUESTS, CLIENTS, daemon.pid(), baseline);

        double daemonCpuBefore = cpuSeconds(daemon.pid());
        double ownCpuBefore = cpuSeconds(Processes.POSIX.getpid());
        Record record = new Record();
        AtomicInteger sent = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS + 1);
        long start = System.nanoTime();
        // jqwik generates on its own thread only: this one feeds each client from the client's own seeded generator.
        List<BlockingQueue<Case>> queues = new ArrayList<>();
        List<RandomGenerator<Case>> generators = new ArrayList<>();
        List<Random> randoms = new ArrayList<>();
        List<Future<?>> clients = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            BlockingQueue<Case> queue = new ArrayBlockingQueue<>(64);
            queues.add(queue);
            generators.add(FuzzCases.cases(wrongToken).generator(1000, true));
            randoms.add(new Random(SEED + i));
            Client client = new Client(daemon, queue, record, sent);
            clients.add(pool.submit(() -> {
                client.run();
                return null;
            }));
        }
        Future<?> janitor = pool.submit(() -> {
            janitor(daemon, record, done);
            return null;
        });
        int produced = 0;
        while (produced < REQUESTS) {
            boolean fed = false;
            for (int i = 0; i < CLIENTS && produced < REQUESTS; i++) {
                if (queues.get(i).remainingCapacity() > 0) {
                    queues.get(i).put(generators.get(i).next(randoms.get(i)).value());
                    produced++;
                    fed = true;
                }
            }
            if (!fed) {
                for (Future<?> client : clients) if (client.isDone()) client.get(); // a client that failed ends the run
                Thread.sleep(1);
            }
        }
        for (BlockingQueue<Case> queue : queues) queue.put(Client.END);
        for (Future<?> client : clients) client.get();
        double seconds = (System.nanoTime() - start) / 1e9;
        done.set(true);
        janitor.get();
        pool.shutdown();
        System.out.printf("fuzz: %d requests in %.1f s (%.0f/s); %d jobs started, %d deleted by the janitor%n",
                sent.get(), seconds, sent.get() / seconds, record.starts.sum(), record.deletedByJanitor.sum());
        System.out.printf("fuzz: CPU used: daemon %.1f s, this JVM (clients and jqwik) %.1f s, on %d cores; load average now %s%n",
                cpuSeconds(daemon.pid()) - daemonCpuBefore, cpuSeconds(Processes.POSIX.getpid()) - ownCpuBefore,
                Runtime.getRuntime().availableProcessors(), Files.readString(Path.of("/proc/loadavg")).strip());
        System.out.println("fuzz: answers " + new TreeMap<>(Map.copyOf(record.answers)));
        Map<String, String> times = new TreeMap<>();
        record.nanos.forEach((kind, total) -> times.put(kind, String.format("%.1f s", total.sum() / 1e9)));
        System.out.println("fuzz: client time by kind " + times);
        new TreeMap<>(record.examples).forEach((answer, request) -> System.out.println("fuzz: e.g. " + answer + " <- "
                + (request.length() > 120 ? request.substring(0, 120) + "…" : request)));

        // The daemon still answers, correctly.
        assertTrue(daemon.exit().isEmpty(), "the daemon ended during the fuzzing\n" + daemon.console());
        List<Map<String, Object>> jobs = Eventually.await("every job to end", daemon::jobs,
                list -> list.stream().allMatch(job -> "exited".equals(job.get("state"))));
        assertEquals(200, daemon.get("/jobs").status());
        assertEquals(List.of(), record.failures.stream().toList(), record.failureCount.get() + " failures (the first 40 shown)");
        // No job that was not meant: each came from a 201 the fuzzer read, and ran /bin/true or nothing.
        for (Map<String, Object> job : jobs) {
            assertTrue(record.created.contains((String) job.get("id")), () -> "a job nobody saw created: " + job);
            assertEquals(0, job.get("owner"), () -> "a job not of root's: " + job);
            assertEquals(job, daemon.job((String) job.get("id")), "GET /job/:id and GET /jobs agree");
        }
        Eventually.await("the daemon to have no child process", daemon::children, List::isEmpty);
        // What the fuzzing used, it gave back.
        DaemonUsage after;
        try {
            after = DaemonUsage.await(daemon.pid(), baseline, SETTLE);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n  the daemon's threads: " + threadDump(daemon), e);
        }
        System.out.printf("fuzz: at rest before %s, after %s%n", baseline, after);
    }

    /**
     * Found by the fuzzer: a signal number past Integer.MAX_VALUE (or an RTMIN offset past it) makes Signal.parse
     * throw NumberFormatException, which Routes turns into a 500; any local user can cause it, whether the job
     * exists or not: {@code curl -X PUT http://127.0.0.1:1/job/x/sig/2147483648}. Once fixed, add both back to FuzzCases.SIGNALS.
     */
    @Example
    void signalsPastIntAreA400() throws Exception {
        try (Daemon daemon = Daemon.start()) {
            for (String signal : List.of("2147483648", "99999999999", "RTMIN+9999999999", "RTMAX-9999999999")) {
                Http.Response answer = daemon.put("/job/any/sig/" + signal);
                assertEquals(400, answer.status(), () -> signal + ": " + answer);
            }
        }
    }

    /**
     * Found by the fuzzer: a HEAD request (any route answers it 405, 404, 401 or 403) made jdk.httpserver log two
     * lines of WARNING on init's console, "sendResponseHeaders: being invoked with a content length for a HEAD
     * request", unthrottled: a flood of them drowned the console that RefusalLog keeps quiet. The answer is the
     * status and headers, no body, and the connection stays usable.
     */
    @Example
    void headRequestsAreAnsweredQuietly() throws Exception {
        try (Daemon daemon = Daemon.start(); Http.Connection connection = Http.Connection.open(daemon.address())) {
            for (String path : List.of("/jobs", "/job/x", "/nope", "/job/x/log")) {
                Http.Response head = connection.send("HEAD", path, Map.of(), null);
                assertTrue(head.status() == 405 || head.status() == 404, () -> path + ": " + head);
                assertEquals(0, head.body().length);
            }
            Http.Response refused = connection.send("HEAD", "/jobs", Map.of("Origin", "null"), null);
            assertEquals(403, refused.status());
            assertEquals(200, connection.send("GET", "/jobs", Map.of(), null).status(), "the connection after HEAD answers");
            assertTrue(!daemon.console().contains("HEAD request"), daemon::console);
        }
    }

    /** Dumps every thread of the daemon, virtual ones too, into its directory; returns the file or what went wrong. */
    static String threadDump(Daemon daemon) {
        Path dump = daemon.dir().resolve("threads.json");
        try {
            Processes.Result result = Processes.run(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Integer.toString(daemon.pid()), "Thread.dump_to_file", "-format=json", dump.toString()), Duration.ofSeconds(30));
            return result.status().shellStatus() == 0 ? dump.toString() : result.toString();
        } catch (Exception e) {
            return "(no dump: " + e + ")";
        }
    }

    /** User plus system CPU time of a process, from /proc/PID/stat. */
    private static double cpuSeconds(int pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0; // utime, stime in clock ticks (USER_HZ = 100)
    }

    /** Deletes ended jobs as they come, so that the table never fills (16,384 jobs), and counts them. */
    private static void janitor(Daemon daemon, Record record, AtomicBoolean done) throws Exception {
        while (!done.get()) {
            for (Map<String, Object> job : daemon.jobs()) {
                if ("exited".equals(job.get("state")) && daemon.delete("/job/" + job.get("id")).status() == 204) {
                    record.deletedByJanitor.increment();
                }
            }
            Thread.sleep(500);
        }
    }

    // ---- a client ----

    private static final class Client {
        /** Tells a client that there is no more to do. */
        static final Case END = new Case.HalfOpen(new byte[0]);

        private final Daemon daemon;
        private final BlockingQueue<Case> cases;
        private final Record record;
        private final AtomicInteger sent;
        private final Deque<Socket> parked = new ArrayDeque<>();
        private Connection connection;
        private long lastUsed;

        Client(Daemon daemon, BlockingQueue<Case> cases, Record record, AtomicInteger sent) {
            this.daemon = daemon;
            this.cases = cases;
            this.record = record;
            this.sent = sent;
        }

        void run() throws IOException, InterruptedException {
            try {
                for (Case c = cases.take(); c != END; c = cases.take()) {
                    sent.incrementAndGet();
                    long since = System.nanoTime();
                    switch (c) {
                        case Case.Exchange exchange -> exchange(exchange);
                        case Case.Raw raw -> raw(raw);
                        case Case.HalfOpen halfOpen -> park(halfOpen);
                    }
                    record.time(c instanceof Case.Raw raw ? "raw " + raw.label() : c.getClass().getSimpleName(), since);
                }
            } finally {
                if (connection != null) connection.close();
                for (Socket socket : parked) socket.close();
            }
        }

        /** A well-formed request: an answer must come, and it is no 5xx. */
        private void exchange(Case.Exchange exchange) throws IOException {
            // The server may close a connection idle for idleInterval (2 s here) just as a request goes out on it,
            // as any HTTP server may: a connection idle for half that is not reused.
            if (connection != null && System.nanoTime() - lastUsed > IDLE_REUSE_NANOS) {
                connection.close();
                connection = null;
            }
            if (connection == null) connection = new Connection(daemon);
            lastUsed = System.nanoTime();
            Answer answer;
            try {
                connection.write(exchange.bytes());
                answer = connection.read(exchange.method().equals("HEAD"));
                if (exchange.expectsContinue() && answer != null && answer.status() == 100) {
                    answer = connection.read(exchange.method().equals("HEAD"));
                }
            } catch (IOException e) {
                record.fail("no answer to a well-formed request: " + e, exchange);
                record.count("exchange: no answer");
                connection.close();
                connection = null;
                return;
            }
            if (answer == null) {
                record.fail("the connection was closed instead of answered", exchange);
                connection.close();
                connection = null;
                return;
            }
            record.count("exchange " + answer.status());
            if (answer.status() >= 400) record.examples.putIfAbsent(answer.status() + " " + gist(answer), FuzzCases.describe(exchange));
            check(answer, exchange, false, exchange.method().equals("HEAD"));
            if (answer.status() == 201 && (exchange.method().equals("POST") || exchange.method().equals("PUT"))) started(answer, exchange);
            if (answer.closes() || exchange.headers().stream().anyMatch(h -> h[0].equals("Connection") && h[1].equals("close"))
                    || answer.streaming()) {
                connection.close();
                connection = null;
            }
            lastUsed = System.nanoTime();
        }

        /** Raw bytes on a fresh connection, half-closed: whatever answers come are read up to the server's close. */
        private void raw(Case.Raw raw) throws IOException {
            try (Connection fresh = new Connection(daemon)) {
                try {
                    fresh.write(raw.bytes());
                } catch (IOException e) {
                    // The server answered and closed before taking it all (a 413, a refused header): read what it said.
                }
                if (raw.label().equals("closed before the answer")) {
                    record.count("raw: closed at once");
                    return;
                }
                fresh.shutdownOutput();
                int answers = 0;
                while (true) {
                    Answer answer;
                    try {
                        // A byte flip may have made a HEAD of it: then the answer has no body.
                        answer = fresh.read(raw.bytes().length > 4 && new String(raw.bytes(), 0, 5, StandardCharsets.ISO_8859_1).equals("HEAD "));
                    } catch (SocketTimeoutException e) {
                        record.fail("no answer and no close within " + ANSWER_TIMEOUT_MS + " ms of a half-closed connection", raw);
                        return;
                    } catch (IOException e) {
                        // Reset or not HTTP: the server gave up on it, which is its right with bytes like these.
                        record.count("raw " + raw.label() + ": " + (answers == 0 ? "closed without an answer" : "closed"));
                        return;
                    }
                    if (answer == null) {
                        if (answers == 0) record.count("raw " + raw.label() + ": closed without an answer");
                        return;
                    }
                    answers++;
                    record.count("raw " + raw.label() + ": " + answer.status());
                    check(answer, raw, raw.mayBe501(), false);
                    if (answer.status() == 201) started(answer, raw);
                    if (answer.streaming()) return;
                }
            }
        }

        /** A connection that sends a little and then nothing; the oldest are closed as new ones come. */
        private void park(Case.HalfOpen halfOpen) throws IOException {
            Socket socket = daemon.connect();
            abortively(socket);
            socket.getOutputStream().write(halfOpen.bytes());
            parked.addLast(socket);
            if (parked.size() > PARKED_PER_CLIENT) parked.removeFirst().close();
            record.count("half-open");
        }

        /** The first words of an error message: one example of each kind of refusal is reported. */
        private static String gist(Answer answer) {
            String text = answer.text();
            if (text.startsWith("{\"error\":")) {
                try {
                    text = (String) Json.object(text).get("error");
                } catch (AssertionError notJson) {
                    // reported by check()
                }
            }
            String[] words = text.replaceAll("'[^']*'", "'…'").split(" ");
            return String.join(" ", java.util.Arrays.copyOf(words, Math.min(2, words.length)));
        }

        private void check(Answer answer, Case c, boolean mayBe501, boolean head) {
            if (answer.status() >= 500 && !(answer.status() == 501 && mayBe501)) {
                record.fail("a " + answer.status() + ": " + answer.text(), c);
            }
            if (answer.status() < 100 || answer.status() > 599) record.fail("a status out of range: " + answer.status(), c);
            String type = answer.header("content-type");
            if ("application/json".equals(type) && !answer.streaming() && !head) {
                try {
                    if (answer.text().startsWith("[")) Json.array(answer.text());
                    else Json.object(answer.text());
                } catch (AssertionError e) {
                    record.fail("a JSON answer that is not JSON: " + answer.text(), c);
                }
            }
        }

        @SuppressWarnings("unchecked")
        private void started(Answer answer, Case c) {
            Map<String, Object> job = Json.object(answer.text());
            String exec = (String) ((Map<String, Object>) job.get("spec")).get("exec");
            if (!exec.substring(exec.lastIndexOf('/') + 1).equals("true") && !exec.startsWith("/nonexistent/")) {
                record.fail("started something that is not /bin/true: " + job, c);
            }
            record.created.add((String) job.get("id"));
            record.starts.increment();
        }
    }

    // ---- HTTP at the byte level ----

    /**
     * An IPv4 socket to the daemon. A Java socket is dual-stack by default, and the daemon then finds the
     * client's uid only in /proc/net/tcp6, after a fruitless walk of /proc/net/tcp: about 8 ms of kernel time
     * per request on this machine, which bounds the daemon to ~150 such requests a second. An IPv4 client,
     * like curl, is found in /proc/net/tcp at once (~1,300 a second).
     */
    /**
     * Makes close() reset the connection, so that neither end lingers in TIME_WAIT: a run opens some 30,000
     * connections in well under a minute, and as many TIME_WAIT sockets would crowd the ephemeral ports (and the
     * /proc/net/tcp that the daemon falls back to reading where the kernel has no sock_diag).
     */
    static void abortively(Socket socket) throws IOException {
        socket.setSoLinger(true, 0);
    }

    /** One answer: its status, lower-cased headers and body (empty for a stream, which is not read). */
    record Answer(int status, Map<String, String> headers, byte[] body, boolean streaming) {
        String header(String name) {
            return headers.get(name);
        }

        boolean closes() {
            return "close".equalsIgnoreCase(headers.get("connection"));
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private static final class Connection implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Connection(Daemon daemon) throws IOException {
            socket = daemon.connect();
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(ANSWER_TIMEOUT_MS);
            abortively(socket);
            in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            out = socket.getOutputStream();
        }

        void write(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        void shutdownOutput() throws IOException {
            socket.shutdownOutput();
        }

        /** The next answer, or null if the server closed before sending a byte of one. */
        Answer read(boolean head) throws IOException {
            String statusLine = line(true);
            if (statusLine == null) return null;
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) throw new IOException("not an HTTP answer: " + statusLine);
            int status = Integer.parseInt(parts[1]);
            Map<String, String> headers = new HashMap<>();
            for (String line = line(false); !line.isEmpty(); line = line(false)) {
                int colon = line.indexOf(':');
                if (colon > 0) headers.put(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
            }
            if (head || status == 204 || status == 304 || status / 100 == 1) return new Answer(status, headers, new byte[0], false);
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                // The event stream never ends: its head is the answer.
                if ("application/x-ndjson".equals(headers.get("content-type"))) return new Answer(status, headers, new byte[0], true);
                return new Answer(status, headers, chunked(), false);
            }
            String length = headers.get("content-length");
            byte[] body = length != null ? in.readNBytes(Integer.parseInt(length)) : in.readAllBytes();
            return new Answer(status, headers, body, false);
        }

        private byte[] chunked() throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                int size = Integer.parseInt(line(false).split(";", 2)[0].strip(), 16);
                if (size == 0) {
                    while (!line(false).isEmpty()) {
                        // trailers
                    }
                    return body.toByteArray();
                }
                body.writeBytes(in.readNBytes(size));
                line(false);
            }
        }

        private String line(boolean first) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            while (true) {
                int b = in.read();
                if (b < 0) {
                    if (first && line.size() == 0) return null;
                    throw new EOFException("the server closed the connection inside an answer");
                }
                if (b == '\n') break;
                line.write(b);
            }
            String text = line.toString(StandardCharsets.ISO_8859_1);
            return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
