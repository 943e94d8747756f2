package jinit.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.fasterxml.jackson.jr.ob.JSON;
import jinit.api.AccountRef;
import jinit.api.ExitStatus;
import jinit.api.FdSpec;
import jinit.api.Job;
import jinit.api.JobSpec;
import jinit.api.JobState;
import jinit.api.Restart;
import jinit.api.Signal;
import jinit.api.Stdio;
import jinit.api.Timestamps;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Prints what writing a job's JSON costs two ways: JobJson's writer (jackson-core's generator, field names encoded
 * once) and jackson-jr's (the same object as maps and lists, handed to {@code JSON.asBytes}), on the same jobs, to
 * byte-identical output. Measures, never asserts a speed; not part of the suite (run it with -Dtest=JobJsonRate).
 * The image runs C1 only ({@code -XX:TieredStopAtLevel=1}); {@link #main} runs it outside surefire with any flags.
 */
class JobJsonRate {
    private static final int JOBS = 1_000;
    private static final int ROUNDS = 15;
    private static final int LISTS_PER_ROUND = 100;
    /** jackson-jr as JobJson would use it: a null is written, not left out. */
    private static final JSON JACKSON_JR = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES);

    @Test
    void measure() throws IOException {
        main(new String[0]);
    }

    public static void main(String[] args) throws IOException {
        report("jobs as the bench starts them (sleep 3600, no envs)", jobs(false));
        report("jobs with 5 envs and a socket, as a redacted view (written for every request)", jobs(true));
    }

    private static void report(String what, List<Job> jobs) throws IOException {
        for (Job job : jobs.subList(0, 3)) assertArrayEquals(JobJson.job(job), JACKSON_JR.asBytes(tree(job)), "the two writers agree");
        Writer generator = JobJson::job;
        Writer jacksonJr = job -> JACKSON_JR.asBytes(tree(job));
        for (int i = 0; i < 3; i++) { // warm-up: both writers compiled before anything counts
            time(jobs, generator);
            time(jobs, jacksonJr);
        }
        long[] generatorNanos = new long[ROUNDS];
        long[] jacksonJrNanos = new long[ROUNDS];
        for (int round = 0; round < ROUNDS; round++) { // interleaved, so a burst of load elsewhere hits both
            generatorNanos[round] = time(jobs, generator);
            jacksonJrNanos[round] = time(jobs, jacksonJr);
        }
        double generatorMs = median(generatorNanos) / 1e6;
        double jacksonJrMs = median(jacksonJrNanos) / 1e6;
        System.out.printf("JobJson rate, %s, %d jobs, %d bytes a job: JobJson.job %.3f ms a list, jackson-jr asBytes(map) %.3f ms"
                        + " (%.2fx) [medians of %d rounds; %s]%n", what, jobs.size(), JobJson.job(jobs.getFirst()).length,
                generatorMs, jacksonJrMs, jacksonJrMs / generatorMs, ROUNDS, System.getProperty("java.vm.info"));
    }

    @FunctionalInterface
    private interface Writer {
        byte[] write(Job job) throws IOException;
    }

    /** Nanoseconds per list of all {@code jobs}, over {@link #LISTS_PER_ROUND} lists. */
    private static long time(List<Job> jobs, Writer writer) throws IOException {
        long sink = 0;
        long start = System.nanoTime();
        for (int list = 0; list < LISTS_PER_ROUND; list++) {
            for (Job job : jobs) sink += writer.write(job).length;
        }
        long nanos = (System.nanoTime() - start) / LISTS_PER_ROUND;
        if (sink == 42) System.out.println(); // keeps the writes from being optimized away
        return nanos;
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static List<Job> jobs(boolean rich) {
        List<Job> jobs = new ArrayList<>(JOBS);
        Instant start = Instant.parse("2026-11-25T09:24:33.877Z");
        for (int i = 0; i < JOBS; i++) {
            JobSpec spec = JobSpec.of("/bin/sleep", "3600");
            if (rich) {
                Map<String, String> envs = new LinkedHashMap<>();
                for (String name : List.of("PATH", "HOME", "USER", "LOGNAME", "SHELL")) envs.put(name, "<redacted>");
                spec = new JobSpec(spec.exec(), spec.args(), spec.cwd(), envs, null, null, Restart.withPolicy(Restart.Policy.ON_FAILURE),
                        spec.stdio(), spec.logBytes(), List.of(new FdSpec.Listen("tcp://127.0.0.1:" + (8000 + i), "http")), spec.stopTimeout());
            }
            JobState state = i % 10 == 9
                    ? new JobState.Exited(new ExitStatus.Signaled(Signal.TERM, false), start.plusMillis(i * 7L + 3), false)
                    : new JobState.Running(1_000 + i);
            jobs.add(new Job("sleep-" + i, spec, state, start.plusMillis(i * 7L), 0, null, rich ? 1000 : 0));
        }
        return jobs;
    }

    /** The job as jackson-jr would need it: JobJson's field order and shape, in maps and lists. */
    private static Map<String, Object> tree(Job job) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", job.id());
        out.put("state", job.state().label());
        out.put("pid", job.state() instanceof JobState.Running(int pid) ? pid : null);
        out.put("spec", spec(job.spec()));
        out.put("startedAt", Timestamps.iso(job.startedAt()));
        switch (job.state()) {
            case JobState.Running r -> {
                out.put("exitedAt", null);
                out.put("exit", null);
            }
            case JobState.Backoff(ExitStatus exit, Instant exitedAt, Instant next) -> {
                out.put("exitedAt", Timestamps.iso(exitedAt));
                out.put("exit", exit(exit));
                out.put("nextStartAt", Timestamps.iso(next));
            }
            case JobState.Exited(ExitStatus exit, Instant exitedAt, boolean gaveUp) -> {
                out.put("exitedAt", Timestamps.iso(exitedAt));
                out.put("exit", exit(exit));
                if (gaveUp) out.put("gaveUp", true);
            }
        }
        out.put("restarts", job.restarts());
        if (job.error() != null) out.put("error", job.error());
        out.put("owner", job.owner());
        return out;
    }

    private static Map<String, Object> exit(ExitStatus exit) {
        Map<String, Object> out = new LinkedHashMap<>();
        switch (exit) {
            case ExitStatus.Code(int code) -> out.put("code", code);
            case ExitStatus.Signaled(int signal, boolean core, boolean oom) -> {
                out.put("signal", Signal.name(signal));
                if (core) out.put("coreDumped", true);
            }
        }
        return out;
    }

    private static Map<String, Object> spec(JobSpec spec) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("exec", spec.exec());
        out.put("args", spec.args());
        out.put("cwd", spec.cwd());
        out.put("envs", spec.envs());
        out.put("user", account(spec.user()));
        out.put("group", account(spec.group()));
        Restart restart = spec.restart();
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("policy", restart.policy().wire());
        policy.put("delay", restart.delay());
        policy.put("maxDelay", restart.maxDelay());
        policy.put("factor", restart.factor());
        policy.put("resetAfter", restart.resetAfter());
        policy.put("burst", restart.burst());
        policy.put("window", restart.window());
        out.put("restart", policy);
        Map<String, Object> stdio = new LinkedHashMap<>();
        stdio.put("stdin", target(spec.stdio().stdin()));
        stdio.put("stdout", target(spec.stdio().stdout()));
        stdio.put("stderr", target(spec.stdio().stderr()));
        out.put("stdio", stdio);
        out.put("logBytes", spec.logBytes());
        List<Object> fds = new ArrayList<>();
        for (FdSpec fd : spec.fds()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            switch (fd) {
                case FdSpec.Listen(String uri, String name) -> entry.put("listen", uri);
                case FdSpec.File(String path, String mode, String name) -> {
                    entry.put("file", path);
                    entry.put("mode", mode);
                }
            }
            entry.put("name", fd.name());
            fds.add(entry);
        }
        out.put("fds", fds);
        out.put("stopTimeout", spec.stopTimeout());
        return out;
    }

    private static Object account(AccountRef account) {
        return switch (account) {
            case null -> null;
            case AccountRef.Name(String name) -> name;
            case AccountRef.Id(int id) -> id;
        };
    }

    private static Object target(Stdio.Target target) {
        if (!(target instanceof Stdio.Target.File(String path, boolean append))) return target.wire();
        Map<String, Object> file = new LinkedHashMap<>();
        file.put("file", path);
        file.put("append", append);
        return file;
    }
}
