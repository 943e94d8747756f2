import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

/**
 * The measuring half of bench/run (which builds, installs the peers and compiles the floors first).
 *
 * <pre>
 * java Bench.java --repo DIR --image DIR --floor DIR --work DIR --npm DIR [--quick] [--only PHASE,...] [--baseline DIR]
 * </pre>
 * PHASE: startup, memory, rate, api, scale, ram. --only is for profiling one thing; the table then shows what
 * ran, and missing figures do not fail the run. --baseline: another jinit image (an older build), measured
 * in every phase exactly as jinit is, as the system "jinit-before": before/after figures from one run.
 *
 * In one run, in this order: startup and idle RSS (fresh daemons, repeated); memory after short jobs and with
 * sleeping jobs (one fresh daemon each, which then serve the next two phases); the start rate and latency
 * (rounds, systems rotated within each round); API latency and throughput with wrk (rounds, rotated); scale
 * (jinit alone, then the baseline alone: many sleep jobs, the orphan storm); the least guest RAM that boots each
 * architecture's initramfs to API ready under QEMU (bench/least-ram: a search in 16 MB steps; --quick: one boot
 * at JINIT_QEMU_MEM, default 160 MB, qemu/test's RAM); image sizes. Every phase catches its own failure, so one
 * broken peer still leaves the other figures; a figure that was not produced is printed as MISSING and fails
 * the run. Goals are printed, never enforced: these machines are noisy, and --quick counts are tiny.
 */
public final class Bench {
    private static final String JINIT = Results.JINIT, SUPERVISORD = Results.SUPERVISORD, PM2 = Results.PM2, FLOOR = Results.FLOOR,
            BEFORE = Results.BEFORE;

    /** How much of everything; --quick exists so that CI keeps the harness working, not to measure. */
    record Counts(int startupReps, long settleMs, int memJobs, int rateRounds, int rateJinit, int rateFloor,
                  int rateSupervisord, int ratePm2, int[] apiJobs, int wrkSeconds, int wrkRounds, int scaleJobs,
                  int orphans, int ramOnceMb) {}

    /**
     * The guest RAM of --quick's one boot per architecture instead of a search: qemu/test's, JINIT_QEMU_MEM or
     * 160 MB. So --quick fails, as qemu/test does, while the image does not boot with it.
     */
    static final int QUICK_RAM_MB = Integer.parseInt(System.getenv().getOrDefault("JINIT_QEMU_MEM", "160").strip());

    static final Counts FULL = new Counts(7, 1000, 1000, 5, 400, 400, 200, 100, new int[] {10, 1000}, 3, 3, 10_000, 10_000, 0);
    static final Counts QUICK = new Counts(1, 200, 20, 1, 10, 10, 10, 5, new int[] {10, 50}, 1, 1, 50, 50, QUICK_RAM_MB);
    static final java.util.Set<String> PHASES = java.util.Set.of("startup", "memory", "rate", "api", "scale", "ram");
    /** The architectures whose initramfs the ram phase boots. */
    static final List<String> ARCHES = List.of("x86_64", "aarch64");

    private final Path repo, image, floor, work, npm;
    /** The --baseline image, or null. */
    private final Path baseline;
    /** The jinit images measured, by system name: jinit, then jinit-before when there is a baseline. */
    private final Map<String, Path> images = new LinkedHashMap<>();
    private final Counts counts;
    private final Results results = new Results();
    /** The phases to run; all of them unless --only. */
    private java.util.Set<String> only = PHASES;

    private Bench(Path repo, Path image, Path baseline, Path floor, Path work, Path npm, boolean quick) {
        this.repo = repo;
        this.image = image;
        this.baseline = baseline;
        images.put(JINIT, image);
        if (baseline != null) images.put(BEFORE, baseline);
        this.floor = floor;
        this.work = work;
        this.npm = npm;
        this.counts = quick ? QUICK : FULL;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>();
        boolean quick = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--quick")) quick = true;
            else if (args[i].startsWith("--") && i + 1 < args.length) opts.put(args[i].substring(2), args[++i]);
            else throw new IllegalArgumentException("unknown argument " + args[i]);
        }
        for (String required : List.of("repo", "image", "floor", "work", "npm")) {
            if (!opts.containsKey(required)) throw new IllegalArgumentException("--" + required + " DIR is required");
        }
        Path baseline = opts.containsKey("baseline") ? Path.of(opts.get("baseline")) : null;
        Bench bench = new Bench(Path.of(opts.get("repo")), Path.of(opts.get("image")), baseline, Path.of(opts.get("floor")),
                Path.of(opts.get("work")), Path.of(opts.get("npm")), quick);
        if (opts.containsKey("only")) bench.only = java.util.Set.of(opts.get("only").split(","));
        System.exit(bench.run(quick));
    }

    private int run(boolean quick) throws Exception {
        conditions(quick);
        try (Nginx nginx = Nginx.start(Files.createDirectories(work.resolve("nginx")))) {
            phase("startup", this::startup);
            if (only.contains("memory") || only.contains("rate") || only.contains("api")) try (Jinit jinit = Jinit.start(image, work.resolve("jinit-main.log"));
                 Jinit before = baseline == null ? null : Jinit.start(baseline, work.resolve(BEFORE + "-main.log"));
                 Supervisord supervisord = Supervisord.start(work.resolve("supervisord-main"));
                 Pm2 pm2 = new Pm2(repo.resolve("bench/peers/pm2-driver.js"), npm, work.resolve("pm2-main"), work.resolve("pm2-main.log"))) {
                pm2.connect();
                Map<String, Jinit> jinits = new LinkedHashMap<>(Map.of(JINIT, jinit));
                if (before != null) jinits.put(BEFORE, before);
                Map<String, Long> pids = new LinkedHashMap<>();
                jinits.forEach((system, j) -> pids.put(system, j.pid()));
                pids.put(SUPERVISORD, supervisord.pid());
                pids.put(PM2, pm2.daemonPid);
                results.conditions.put("pids", pids);
                phase("memory", () -> memory(jinits, supervisord, pm2));
                phase("rate", () -> startRate(jinits, supervisord, pm2));
                phase("api", () -> api(jinits, supervisord, nginx));
                rss("rss.end", jinits, supervisord, pm2);
            }
        }
        phase("scale", this::scale);
        phase("ram", this::leastRam);
        Images.measure(repo, results);
        results.conditions.put("loadavg.end", Files.readString(Path.of("/proc/loadavg")).strip());
        return report(quick);
    }

    @FunctionalInterface
    private interface Phase {
        void run() throws Exception;
    }

    private void phase(String name, Phase body) {
        if (!only.contains(name)) return;
        long t0 = System.nanoTime();
        System.err.printf("bench: %s...%n", name);
        try {
            body.run();
        } catch (Exception e) {
            results.errors.add(name + ": " + e);
            System.err.println("bench: " + name + " failed:");
            e.printStackTrace();
        }
        System.err.printf("bench: %s took %.1f s%n", name, (System.nanoTime() - t0) / 1e9);
    }

    private void conditions(boolean quick) throws Exception {
        Map<String, Object> c = results.conditions;
        c.put("mode", quick ? "quick" : "full");
        c.put("date", LocalDateTime.now().toString());
        c.put("kernel", Proc.run(List.of("uname", "-srm"), 10).strip());
        c.put("cpus", Runtime.getRuntime().availableProcessors());
        c.put("loadavg.start", Files.readString(Path.of("/proc/loadavg")).strip());
        c.put("memory", Files.readAllLines(Path.of("/proc/meminfo")).getFirst().replaceAll("\\s+", " "));
        c.put("counts", Map.of("startupReps", counts.startupReps, "memJobs", counts.memJobs, "rateRounds", counts.rateRounds,
                "rateJobsPerRound", Map.of(JINIT, counts.rateJinit, FLOOR, counts.rateFloor, SUPERVISORD, counts.rateSupervisord, PM2, counts.ratePm2),
                "apiJobs", List.of(counts.apiJobs[0], counts.apiJobs[1]), "wrkSeconds", counts.wrkSeconds,
                "wrkRounds", counts.wrkRounds, "scaleJobs", counts.scaleJobs, "orphans", counts.orphans));
        c.put("image", System.getenv().getOrDefault("BENCH_IMAGE_INFO", image.toString()));
        c.put("jvm", jvmFlags(image));
        if (baseline != null) {
            c.put("baseline", System.getenv().getOrDefault("BENCH_BASELINE_INFO", baseline.toString()));
            c.put("jvm.before", jvmFlags(baseline));
        }
        c.put("JINIT_JAVA_OPTS", System.getenv().getOrDefault("JINIT_JAVA_OPTS", ""));
        List<String> limits = Files.readAllLines(Path.of("/proc/self/limits")).stream()
                .filter(l -> l.startsWith("Max open files") || l.startsWith("Max processes")).map(l -> l.replaceAll("\\s{2,}", "  ")).toList();
        c.put("limits", limits);
        c.put("pid_max", Files.readString(Path.of("/proc/sys/kernel/pid_max")).strip());
        c.put("peers", System.getenv().getOrDefault("BENCH_PEER_VERSIONS", ""));
    }

    /** The flags jlink baked into an image, as its JVM reports them (plus JINIT_JAVA_OPTS if set). */
    private static List<String> jvmFlags(Path image) throws Exception {
        String flags = Proc.run(List.of(image.resolve("bin/java").toString(), "-XX:+PrintCommandLineFlags", "-version"), 30);
        return flags.strip().replace(" -XX:+PrintCommandLineFlags", "").lines().toList();
    }

    // ---- 1. startup and idle RSS: a fresh daemon per sample ----

    private void startup() throws Exception {
        List<Phase> systems = new ArrayList<>();
        images.forEach((system, dir) -> systems.add(() -> {
            try (Jinit j = Jinit.start(dir, work.resolve(system + "-startup.log"))) {
                results.add("startup", system, j.startupNanos / 1e6);
                Proc.sleep(counts.settleMs);
                results.add("rss.idle", system, j.rssKb());
            }
        }));
        systems.addAll(List.of(
                () -> {
                    try (JvmFloor f = JvmFloor.start(image, floor.resolve("jvm"), work.resolve("jvm-floor.log"))) {
                        results.add("startup", FLOOR, f.startupNanos / 1e6);
                        Proc.sleep(counts.settleMs);
                        results.add("rss.idle", FLOOR, f.rssKb());
                    }
                },
                () -> {
                    try (Supervisord s = Supervisord.start(Files.createTempDirectory(work, "supervisord-startup"))) {
                        results.add("startup", SUPERVISORD, s.startupNanos / 1e6);
                        Proc.sleep(counts.settleMs);
                        results.add("rss.idle", SUPERVISORD, s.rssKb());
                    }
                },
                () -> {
                    try (Pm2 p = new Pm2(repo.resolve("bench/peers/pm2-driver.js"), npm,
                            Files.createTempDirectory(work, "pm2-startup"), work.resolve("pm2-startup.log"))) {
                        results.add("startup", PM2, p.connect() / 1e6);
                        Proc.sleep(counts.settleMs);
                        results.add("rss.idle", PM2, p.rssKb());
                    }
                }));
        for (int rep = 0; rep < counts.startupReps; rep++) {
            for (Phase system : rotated(systems, rep)) system.run();
        }
    }

    // ---- 2. memory: short jobs, then sleeping jobs, on one fresh daemon each ----

    private void memory(Map<String, Jinit> jinits, Supervisord supervisord, Pm2 pm2) throws Exception {
        int n = counts.memJobs;
        Proc.sleep(counts.settleMs);
        rss("rss.idle.main", jinits, supervisord, pm2);
        // A JVM gives memory back in its own time (compiler arenas every 5 s, malloc trimming): settled idle.
        Proc.sleep(9 * counts.settleMs);
        rss("rss.settled", jinits, supervisord, pm2);

        // n short jobs started, exited and deleted
        long t = System.nanoTime();
        for (Map.Entry<String, Jinit> j : jinits.entrySet()) {
            startJobs(j.getValue(), n, "/bin/true");
            try (Http h = j.getValue().connect()) {
                j.getValue().awaitNoneRunning(h, 120_000);
            }
            j.getValue().deleteAll(8);
            t = step(j.getKey() + ": " + n + " short jobs", t);
        }
        try (Http h = supervisord.connect()) {
            supervisord.addGroup(h, "short", "/bin/true", n);
            Supervisord.call(h, "supervisor.startProcessGroup", "short", true);
            Supervisord.awaitNoneRunning(h, 120_000);
            supervisord.removeGroup(h, "short");
        }
        t = step("supervisord: " + n + " short jobs", t);
        pm2.startTrue(n, 8);
        t = step("pm2: " + n + " short jobs", t);
        Proc.sleep(counts.settleMs);
        rss("rss.afterShort", jinits, supervisord, pm2);

        // n sleeping jobs running, then stopped
        t = System.nanoTime();
        Map<String, List<String>> sleeping = new LinkedHashMap<>();
        for (Map.Entry<String, Jinit> j : jinits.entrySet()) {
            sleeping.put(j.getKey(), startJobs(j.getValue(), n, "/bin/sleep", "3600"));
            t = step(j.getKey() + ": " + n + " sleep jobs started", t);
        }
        try (Http h = supervisord.connect()) {
            supervisord.addGroup(h, "sleep", "/bin/sleep 3600", n);
            Supervisord.call(h, "supervisor.startProcessGroup", "sleep", true);
        }
        t = step("supervisord: " + n + " sleep jobs started", t);
        pm2.startSleep(n);
        step("pm2: " + n + " sleep jobs started", t);
        Proc.sleep(counts.settleMs);
        rss("rss.withSleeps", jinits, supervisord, pm2);

        for (Map.Entry<String, Jinit> j : jinits.entrySet()) {
            results.add("stop.mem", j.getKey(), stopAll(j.getValue(), sleeping.get(j.getKey())) / 1e6);
            j.getValue().deleteAll(8);
        }
        try (Http h = supervisord.connect()) {
            long t0 = System.nanoTime();
            Supervisord.call(h, "supervisor.stopProcessGroup", "sleep", true);
            results.add("stop.mem", SUPERVISORD, (System.nanoTime() - t0) / 1e6);
            supervisord.removeGroup(h, "sleep");
        }
        results.add("stop.mem", PM2, pm2.deleteAll() * 1000);
    }

    /** The RSS of every long-lived daemon (the ones the memory, rate and api phases share), as one sample each. */
    private void rss(String figure, Map<String, Jinit> jinits, Supervisord supervisord, Pm2 pm2) {
        jinits.forEach((system, j) -> results.add(figure, system, j.rssKb()));
        results.add(figure, SUPERVISORD, supervisord.rssKb());
        results.add(figure, PM2, pm2.rssKb());
    }

    /** Logs how long a step took (stderr, for whoever wonders where a long phase went); returns now. */
    private static long step(String what, long since) {
        long now = System.nanoTime();
        System.err.printf("bench:   %s: %.1f s%n", what, (now - since) / 1e9);
        return now;
    }

    /** Starts n jobs on 8 connections; returns their ids (fewer when the table filled up: 507). */
    private List<String> startJobs(Jinit jinit, int n, String exec, String... args) throws Exception {
        return startJobsWith(jinit, n, "", exec, args);
    }

    /** The same, each spec with {@code moreFields} (",\"name\":value..."). */
    private List<String> startJobsWith(Jinit jinit, int n, String moreFields, String exec, String... args) throws Exception {
        List<String> ids = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean full = new AtomicBoolean();
        Parallel.forEach(range(n), 8, jinit::connect, (h, i) -> {
            if (full.get()) return;
            String id = jinit.startJobWith(h, moreFields, exec, args);
            if (id == null) full.set(true);
            else ids.add(id);
        });
        return ids;
    }

    /** POST /job/:id/stop?wait=0 for every job (8 connections), until GET /jobs shows none running; nanoseconds. */
    private long stopAll(Jinit jinit, List<String> ids) throws Exception {
        long t0 = System.nanoTime();
        Parallel.forEach(ids, 8, jinit::connect, (h, id) -> jinit.stop(h, id));
        try (Http h = jinit.connect()) {
            return jinit.awaitNoneRunning(h, 120_000) - t0;
        }
    }

    // ---- 3. start rate and latency: rounds, systems rotated ----

    private void startRate(Map<String, Jinit> jinits, Supervisord supervisord, Pm2 pm2) throws Exception {
        try (Http h = supervisord.connect()) {
            supervisord.addGroup(h, "t", "/bin/true", counts.rateSupervisord);
        }
        List<Phase> runs = new ArrayList<>();
        for (int clients : new int[] {1, 8}) {
            jinits.forEach((system, jinit) -> runs.add(() -> jinitRate(jinit, system, clients, "")));
            // A job of another user's goes through jinit-exec, which drops root's ids in the child: its cost.
            jinits.forEach((system, jinit) -> runs.add(() -> jinitRate(jinit, system, clients, ",\"user\":\"nobody\"")));
            runs.add(() -> supervisordRate(supervisord, clients));
            runs.add(() -> pm2Rate(pm2, clients));
            runs.add(() -> floorRate(clients));
        }
        for (int round = 0; round < counts.rateRounds; round++) {
            for (Phase run : rotated(runs, round)) run.run();
        }
        try (Http h = supervisord.connect()) {
            supervisord.removeGroup(h, "t");
        }
    }

    /**
     * n /bin/true jobs, posted by {@code clients} keep-alive connections; the span runs from the first
     * request to the GET /jobs that shows them all ended (so: started and reaped). A start's latency is
     * its POST until the 201, which jinit sends once the process runs.
     */
    private void jinitRate(Jinit jinit, String system, int clients, String moreFields) throws Exception {
        int n = counts.rateJinit;
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        Parallel.forEach(range(n), clients, jinit::connect, (h, i) -> {
            long s = System.nanoTime();
            if (jinit.startJobWith(h, moreFields, "/bin/true") == null) throw new IOException("the job table is full (507)");
            latencies.add((System.nanoTime() - s) / 1e6);
        });
        long end;
        try (Http h = jinit.connect()) {
            end = jinit.awaitNoneRunning(h, 60_000);
        }
        String figure = moreFields.isEmpty() ? "start" : "start.asUser";
        results.add(figure + ".rate.c" + clients, system, n / ((end - t0) / 1e9));
        results.addAll(figure + ".latency.c" + clients, system, latencies);
        jinit.deleteAll(clients);
    }

    /** The same with startProcess(name, wait=true), which answers once the process is RUNNING. */
    private void supervisordRate(Supervisord supervisord, int clients) throws Exception {
        int n = counts.rateSupervisord;
        List<String> names = range(n).stream().map(i -> "t:t_" + i).toList();
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicInteger endedFirst = new java.util.concurrent.atomic.AtomicInteger();
        long t0 = System.nanoTime();
        Parallel.forEach(names, clients, supervisord::connect, (h, name) -> {
            long s = System.nanoTime();
            if (Supervisord.startProcess(h, name)) endedFirst.incrementAndGet();
            latencies.add((System.nanoTime() - s) / 1e6);
        });
        results.add("supervisord.endedBeforeAnswer.c" + clients, SUPERVISORD, endedFirst.get());
        long end;
        try (Http h = supervisord.connect()) {
            end = Supervisord.awaitNoneRunning(h, 60_000);
        }
        results.add("start.rate.c" + clients, SUPERVISORD, n / ((end - t0) / 1e9));
        results.addAll("start.latency.c" + clients, SUPERVISORD, latencies);
    }

    private void pm2Rate(Pm2 pm2, int clients) throws Exception {
        Map<String, Object> answer = pm2.startTrue(counts.ratePm2, clients);
        results.add("start.rate.c" + clients, PM2, counts.ratePm2 / ((Number) answer.get("seconds")).doubleValue());
        results.addAll("start.latency.c" + clients, PM2, Pm2.numbers(answer.get("latencies_ms")));
    }

    private void floorRate(int clients) throws Exception {
        String out = Proc.run(List.of(floor.resolve("spawn").toString(), Integer.toString(counts.rateFloor), Integer.toString(clients)), 120);
        Map<String, Object> answer = Json.object(out.strip());
        results.add("start.rate.c" + clients, FLOOR, ((Number) answer.get("rate")).doubleValue());
        results.addAll("start.latency.c" + clients, FLOOR, Pm2.numbers(answer.get("latencies_us")).stream().map(us -> us / 1000).toList());
    }

    // ---- 4. API with wrk: rounds, targets rotated ----

    private record Target(String figure, String system, String url, int connections, String xmlRpcBody) {}

    /** A jinit's n sleep jobs for the api phase: the ids, and its answers to GET /job/:id (the first) and GET /jobs. */
    private record Sleepers(List<String> ids, String base, byte[] job, byte[] jobs) {
        String jobUrl() {
            return base + "/job/" + ids.getFirst();
        }
    }

    private void api(Map<String, Jinit> jinits, Supervisord supervisord, Nginx nginx) throws Exception {
        for (int n : counts.apiJobs) {
            Map<String, Sleepers> sleepers = new LinkedHashMap<>();
            for (Map.Entry<String, Jinit> j : jinits.entrySet()) sleepers.put(j.getKey(), sleepers(j.getValue(), j.getKey(), n));
            // The floor serves the very bytes this jinit answered (the baseline's may differ: that is its own figure).
            Sleepers main = sleepers.get(JINIT);
            String supervisordUrl = "http://127.0.0.1:" + supervisord.port + "/RPC2";
            try (Http h = supervisord.connect()) {
                supervisord.addGroup(h, "api", "/bin/sleep 3600", n);
                Supervisord.call(h, "supervisor.startProcessGroup", "api", true);
            }
            List<Target> targets = new ArrayList<>();
            for (int c : new int[] {1, 16}) {
                for (Map.Entry<String, Sleepers> s : sleepers.entrySet()) {
                    targets.add(new Target("api.job.n" + n + ".c" + c, s.getKey(), s.getValue().jobUrl(), c, null));
                    targets.add(new Target("api.jobs.n" + n + ".c" + c, s.getKey(), s.getValue().base() + "/jobs", c, null));
                }
                targets.add(new Target("api.job.n" + n + ".c" + c, FLOOR, nginx.serve("job-" + n, main.job()), c, null));
                targets.add(new Target("api.jobs.n" + n + ".c" + c, FLOOR, nginx.serve("jobs-" + n, main.jobs()), c, null));
                targets.add(new Target("api.job.n" + n + ".c" + c, SUPERVISORD, supervisordUrl, c,
                        Supervisord.request("supervisor.getProcessInfo", "api:api_0")));
                targets.add(new Target("api.jobs.n" + n + ".c" + c, SUPERVISORD, supervisordUrl, c,
                        Supervisord.request("supervisor.getAllProcessInfo")));
            }
            for (int round = 0; round < counts.wrkRounds; round++) {
                for (Target t : rotated(targets, round)) {
                    Wrk.Result w = Wrk.run(t.url, t.connections, counts.wrkSeconds, work, "text/xml", t.xmlRpcBody);
                    if (w.errors() > 0) results.warnings.add("api: " + t.figure + " " + t.system + ": wrk counted " + w.errors()
                            + " non-2xx answers or socket errors in " + counts.wrkSeconds + " s");
                    results.add(t.figure + ".rps", t.system, w.requestsPerSecond());
                    results.add(t.figure + ".p50", t.system, w.p50Ms());
                    results.add(t.figure + ".p99", t.system, w.p99Ms());
                }
            }
            for (Map.Entry<String, Jinit> j : jinits.entrySet()) {
                stopAll(j.getValue(), sleepers.get(j.getKey()).ids());
                j.getValue().deleteAll(8);
            }
            try (Http h = supervisord.connect()) {
                supervisord.removeGroup(h, "api");
            }
        }
    }

    /** Starts n sleep jobs on a jinit and reads the answers wrk will ask for (their sizes go to the notes). */
    private Sleepers sleepers(Jinit jinit, String system, int n) throws Exception {
        List<String> ids = startJobs(jinit, n, "/bin/sleep", "3600");
        if (ids.size() != n) throw new IOException(system + ": only " + ids.size() + " of " + n + " jobs started");
        byte[] job, jobs;
        try (Http h = jinit.connect()) {
            job = h.get("/job/" + ids.getFirst()).body();
            jobs = h.get("/jobs").body();
        }
        results.notes.put(note("api.bytes.job.n" + n, system), job.length);
        results.notes.put(note("api.bytes.jobs.n" + n, system), jobs.length);
        return new Sleepers(ids, "http://127.0.0.1:" + jinit.port, job, jobs);
    }

    // ---- 5. scale: jinit alone (then the baseline alone) ----

    private void scale() throws Exception {
        for (Map.Entry<String, Path> i : images.entrySet()) scale(i.getKey(), i.getValue());
    }

    private void scale(String system, Path dir) throws Exception {
        try (Jinit jinit = Jinit.start(dir, work.resolve(system + "-scale.log"))) {
            Proc.sleep(counts.settleMs);
            long base = jinit.rssKb();
            // Captured output costs jinit two pipe ends per job; where the open-files limit cannot hold them
            // (this sandbox's hard limit is 20,000), the sleeps' stdio goes to /dev/null and the run says so.
            long openFiles = openFilesLimit();
            boolean logs = openFiles >= 2L * counts.scaleJobs + 1024;
            String stdio = logs ? "" : ",\"stdio\":{\"stdout\":\"null\",\"stderr\":\"null\"}";
            if (!logs) {
                results.notes.put(note("scale.stdio", system), "the scale test's sleep jobs ran with stdout and stderr to /dev/null:"
                        + " the open-files limit (" + openFiles + ") cannot hold two log pipes for each of " + counts.scaleJobs + " jobs");
            }
            long t0 = System.nanoTime();
            List<String> ids = startJobsWith(jinit, counts.scaleJobs, stdio, "/bin/sleep", "3600");
            double startSeconds = (System.nanoTime() - t0) / 1e9;
            results.add("scale.started", system, ids.size());
            results.notes.put(note("scale.requested", system), counts.scaleJobs);
            results.notes.put(note("scale.startSeconds", system), startSeconds);
            if (ids.size() < counts.scaleJobs) {
                String cap = "the job table" + (system.equals(JINIT) ? "" : " of " + system) + " is capped: "
                        + ids.size() + " of " + counts.scaleJobs
                        + " sleep jobs started, then POST /job answered 507 Insufficient Storage";
                results.notes.put(note("scale.cap", system), cap);
                System.err.println("bench: " + cap);
            }
            Proc.sleep(counts.settleMs);
            long loaded = jinit.rssKb();
            results.add("scale.perJobKb", system, (double) (loaded - base) / Math.max(1, ids.size()));
            results.notes.put(note("scale.rssKb", system), Map.of("before", base, "with jobs", loaded));
            try (Http h = jinit.connect()) {
                for (int i = 0; i < 5; i++) {
                    long s = System.nanoTime();
                    Http.Response r = h.get("/jobs");
                    results.add("scale.list", system, (System.nanoTime() - s) / 1e6);
                    results.notes.put(note("scale.listBytes", system), r.body().length);
                }
            }
            // Listed once, each job's JSON is cached in the daemon: memory per job with that, too.
            Proc.sleep(counts.settleMs);
            results.add("scale.perJobKbListed", system, (double) (jinit.rssKb() - base) / Math.max(1, ids.size()));
            results.add("scale.stop", system, stopAll(jinit, ids) / 1e6);
            jinit.deleteAll(8);
            orphanStorm(jinit, system);
        }
    }

    /**
     * A job forks N children and exits; all N then exit at once, orphans that jinit (their subreaper) must
     * reap. The watcher (bench/floor/orphans.c) times it from outside by scanning /proc.
     */
    private void orphanStorm(Jinit jinit, String system) throws Exception {
        Path ready = work.resolve("orphans-ready");
        Files.deleteIfExists(ready);
        String orphans = floor.resolve("orphans").toString();
        Process watcher = new ProcessBuilder(orphans, "watch", Long.toString(jinit.pid()), ready.toString(), "120000")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (Http h = jinit.connect()) {
            jinit.startJob(h, orphans, "storm", Integer.toString(counts.orphans), ready.toString());
        }
        String out = new String(watcher.getInputStream().readAllBytes()).strip();
        if (watcher.waitFor() != 0 || out.isEmpty()) throw new IOException("the orphan watcher failed: " + out);
        Map<String, Object> answer = Json.object(out);
        results.add("orphans.forked", system, ((Number) answer.get("forked")).doubleValue());
        results.add("orphans.reapMs", system, ((Number) answer.get("reap_ms")).doubleValue());
        results.add("orphans.zombies", system, ((Number) answer.get("zombies")).doubleValue());
        results.add("orphans.left", system, ((Number) answer.get("left")).doubleValue());
    }

    // ---- 6. ram: the least guest RAM that boots each architecture's initramfs to API ready ----

    /**
     * bench/least-ram ARCH for each architecture, one after the other (each boot wants both cores): a binary
     * search in 16 MB steps, or with --quick one boot at {@link Counts#ramOnceMb}. It boots rootfs/target/ARCH
     * as this tree builds it (rebuilt first when stale), not --image. Its last stdout line is the figure and
     * what failed just below it; the console logs stay in rootfs/target/ARCH/least-ram/.
     */
    private void leastRam() throws Exception {
        Map<String, String> lines = new LinkedHashMap<>();
        results.notes.put("boot.least-ram", lines);
        List<String> failed = new ArrayList<>();
        for (String arch : ARCHES) {
            List<String> command = new ArrayList<>(List.of(repo.resolve("bench/least-ram").toString(), arch));
            if (counts.ramOnceMb > 0) command.addAll(List.of("--once", Integer.toString(counts.ramOnceMb)));
            // A search is about 7 boots of at most 90 s each, plus a rebuild when the tree is stale.
            long limitSeconds = counts.ramOnceMb > 0 ? 900 : 2700;
            Proc.Ran ran;
            try {
                ran = Proc.runToEnd(command, limitSeconds, true);
            } catch (IOException e) {
                lines.put(arch, e.getMessage());
                failed.add(arch + ": " + e.getMessage());
                continue;
            }
            List<String> out = ran.output().strip().lines().toList();
            String last = out.isEmpty() ? "" : out.getLast();
            String shown = last.isEmpty() ? "bench/least-ram exited " + ran.exit() + ", saying nothing" : last.replaceFirst("^least-ram \\S+: ", "");
            lines.put(arch, shown);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^least-ram \\S+: (\\d+) MB;").matcher(last);
            if (ran.exit() == 0 && m.find()) results.add("boot.least-ram." + arch, JINIT, Double.parseDouble(m.group(1)));
            else failed.add(arch + ": " + shown);
        }
        if (!failed.isEmpty()) throw new IOException("no boot to API ready: " + String.join("; ", failed));
    }

    /** This process's soft limit on open files, which the daemons it starts inherit. */
    private static long openFilesLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) return Long.parseLong(line.substring(26).trim().split("\\s+")[0]);
        }
        throw new IOException("no 'Max open files' in /proc/self/limits");
    }

    // ---- report ----

    @SuppressWarnings("unchecked")
    private int report(boolean quick) throws IOException {
        List<Table.Row> rows = Rows.all(counts, baseline != null);
        String table = Table.render(rows, results, baseline != null);
        String images = Images.render(results);
        StringBuilder out = new StringBuilder();
        out.append("jinit bench (").append(quick ? "--quick: tiny counts, the numbers mean nothing" : "full run").append(")\n");
        out.append("conditions: ").append(results.conditions.get("kernel")).append(", ").append(results.conditions.get("cpus"))
                .append(" cpus, load ").append(results.conditions.get("loadavg.start")).append(" -> ")
                .append(results.conditions.get("loadavg.end")).append('\n');
        out.append("image: ").append(results.conditions.get("image")).append('\n');
        out.append("jvm: ").append(String.join(" ", (List<String>) results.conditions.get("jvm"))).append('\n');
        if (baseline != null) {
            out.append("before: ").append(results.conditions.get("baseline")).append('\n');
            out.append("jvm (before): ").append(String.join(" ", (List<String>) results.conditions.get("jvm.before"))).append('\n');
        }
        out.append("peers: ").append(results.conditions.get("peers")).append('\n');
        out.append("ratios are jinit ÷ that column, both from this run; rates: higher is better, times and RSS: lower.\n\n");
        out.append(table).append('\n').append(images);
        Map<String, String> leastRam = (Map<String, String>) results.notes.get("boot.least-ram");
        if (leastRam != null) {
            out.append("-- least guest RAM to API ready (bench/least-ram; consoles in rootfs/target/ARCH/least-ram/):\n");
            leastRam.forEach((arch, line) -> out.append(String.format(java.util.Locale.ROOT, "%-10s%s%n", arch, line)));
        }
        for (Map.Entry<String, Object> note : results.notes.entrySet()) {
            if (note.getKey().startsWith("scale.cap") || note.getKey().startsWith("scale.stdio")) {
                out.append("\nNOTE: ").append(note.getValue()).append('\n');
            }
        }
        List<String> missing = !only.containsAll(PHASES) ? List.of() : Table.missing(rows, results);
        for (String m : missing) out.append("MISSING: ").append(m).append('\n');
        for (String w : results.warnings) out.append("WARNING: ").append(w).append('\n');
        for (String e : results.errors) out.append("ERROR: ").append(e).append('\n');
        long produced = rows.stream().mapToLong(r -> r.systems().stream().filter(s -> !Double.isNaN(r.cell(results, s))).count()).sum();
        out.append("figures: ").append(produced).append(" passed, ").append(missing.size()).append(" failed\n");
        System.out.print(out);

        Path dir = Files.createDirectories(repo.resolve("bench/results"));
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + (quick ? "-quick" : "");
        Files.writeString(dir.resolve("bench-" + stamp + ".json"), Json.write(results.toJson()));
        Files.writeString(dir.resolve("bench-" + stamp + ".txt"), out);
        System.err.println("bench: raw numbers in " + dir.resolve("bench-" + stamp + ".json"));
        return missing.isEmpty() && results.errors.isEmpty() ? 0 : 1;
    }

    // ---- helpers ----

    static <T> List<T> rotated(List<T> items, int by) {
        List<T> copy = new ArrayList<>(items);
        Collections.rotate(copy, -(by % Math.max(1, items.size())));
        return copy;
    }

    /** A note's key: as it always was for jinit, suffixed with the system for the baseline's. */
    private static String note(String key, String system) {
        return system.equals(JINIT) ? key : key + "." + system;
    }

    static List<Integer> range(int n) {
        return IntStream.range(0, n).boxed().toList();
    }
}
