package jinit.boot;

import static jinit.boot.JobAssertions.assertError;
import static jinit.boot.JobAssertions.assertErrorContaining;
import static jinit.boot.JobAssertions.assertExited;
import static jinit.boot.JobAssertions.assertSpec;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a job's process gets from its spec, read back from /proc: cwd, environment, PATH lookup,
 * open fds; and that a job with a lot of output is never blocked by it.
 */
class JobProcessTest {
    private static final List<String> SLEEPING = List.of("/bin/sleep", "1000");
    private static final String DEFAULT_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

    private static Path scratch;
    /** On the daemon's own PATH (so jobs without envs find it there): its jinit-probe says "daemon-path". */
    private static Path daemonBin;
    /** Given as a job's own PATH: its jinit-probe says "job-path". */
    private static Path jobBin;
    private static Daemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        scratch = Files.createTempDirectory(Files.createDirectories(Daemon.WORK), "process-");
        daemonBin = probeDirectory("daemon-bin", "daemon-path");
        jobBin = probeDirectory("job-bin", "job-path");
        daemon = Daemon.start(Daemon.Config.defaults().withEnvironment("PATH", daemonBin + ":" + DEFAULT_PATH));
    }

    /** A directory holding an executable "jinit-probe" that writes {@code word} into the file named by its argument. */
    private static Path probeDirectory(String name, String word) throws Exception {
        Path dir = Files.createDirectories(scratch.resolve(name));
        Path probe = dir.resolve("jinit-probe");
        Files.writeString(probe, "#!/bin/sh\necho " + word + " > \"$1\"\n");
        Files.setPosixFilePermissions(probe, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) daemon.close();
    }

    /** Every test leaves the daemon without running jobs. */
    @AfterEach
    void killRunningJobs() throws Exception {
        daemon.killRunningJobs();
    }

    /** A spec from alternating field names and values, in that order. */
    private static String spec(Object... fieldsAndValues) {
        Map<String, Object> spec = new LinkedHashMap<>();
        for (int i = 0; i < fieldsAndValues.length; i += 2) spec.put((String) fieldsAndValues[i], fieldsAndValues[i + 1]);
        return Json.write(spec);
    }

    private static String sleeper(Object... moreFields) {
        Object[] fields = new Object[4 + moreFields.length];
        fields[0] = "exec";
        fields[1] = "/bin/sleep";
        fields[2] = "args";
        fields[3] = List.of("1000");
        System.arraycopy(moreFields, 0, fields, 4, moreFields.length);
        return spec(fields);
    }

    /** Starts a sleeping job and waits for its exec, so /proc shows the job and not the spawner. */
    private static int startSleeping(String id, String spec) throws Exception {
        int pid = daemon.start(id, spec);
        ProcFs.awaitExec(pid, SLEEPING);
        return pid;
    }

    private static Set<String> environment(Map<String, String> variables) {
        Set<String> environment = new TreeSet<>();
        variables.forEach((key, value) -> environment.add(key + "=" + value));
        return environment;
    }

    // ---- fds ----

    /**
     * The job's open fds once the program has settled: right after exec, sleep itself still has a
     * locale file open for a moment, but an fd the job inherited would stay open for good.
     */
    private static Set<Integer> settledFds(int pid) throws Exception {
        return Eventually.await("pid " + pid + " to hold only fds 0, 1 and 2", () -> ProcFs.fds(pid), Set.of(0, 1, 2)::equals);
    }

    @Test
    void aJobHasOnlyStdinStdoutAndStderrOpen() throws Exception {
        int pid = startSleeping("fds", sleeper());
        assertEquals(Set.of(0, 1, 2), settledFds(pid));
        assertEquals("/dev/null", ProcFs.fdTarget(pid, 0));
    }

    @Test
    void aJobOnInitsOwnStreamsHasOnlyThoseOpen() throws Exception {
        int pid = startSleeping("fds-inherit", sleeper("stdio", Map.of("stdout", "inherit", "stderr", "inherit")));
        assertEquals(Set.of(0, 1, 2), settledFds(pid));
        assertEquals(ProcFs.fdTarget(daemon.pid(), 1), ProcFs.fdTarget(pid, 1));
        assertEquals(ProcFs.fdTarget(daemon.pid(), 2), ProcFs.fdTarget(pid, 2));
    }

    // ---- cwd ----

    @Test
    void cwdIsTheJobsWorkingDirectory() throws Exception {
        Path dir = Files.createDirectories(scratch.resolve("cwd"));
        String spec = spec("exec", "/bin/sh", "args", List.of("-c", "pwd > pwd.txt"), "cwd", dir.toString());
        daemon.start("pwd", spec);
        assertExited("pwd", spec, "{\"code\":0}", daemon.awaitEnded("pwd"));
        assertEquals(dir + "\n", Files.readString(dir.resolve("pwd.txt")));

        assertEquals(dir, ProcFs.cwd(startSleeping("in-dir", sleeper("cwd", dir.toString()))));
    }

    @Test
    void theDefaultCwdIsTheRoot() throws Exception {
        int pid = startSleeping("in-root", sleeper());
        assertEquals(Path.of("/"), ProcFs.cwd(pid));
        assertSpec("{\"cwd\":\"/\"}", daemon.job("in-root"));
    }

    // ---- environment ----

    @Test
    void envsIsTheJobsEntireEnvironment() throws Exception {
        Map<String, String> envs = new LinkedHashMap<>();
        envs.put("A", "1");
        envs.put("WITH_SPACES", "two words");
        envs.put("EMPTY", "");
        envs.put("UNICODE", "été");
        int pid = startSleeping("envs", sleeper("envs", envs));
        assertEquals(environment(envs), ProcFs.environ(pid));
        assertSpec(Json.write(Map.of("envs", envs)), daemon.job("envs"));
    }

    @Test
    void emptyEnvsIsAnEmptyEnvironment() throws Exception {
        int pid = startSleeping("no-env", sleeper("envs", Map.of()));
        assertEquals(Set.of(), ProcFs.environ(pid));
    }

    @Test
    void envIsAnAliasOfEnvs() throws Exception {
        int pid = startSleeping("alias", sleeper("env", Map.of("ALIAS", "yes")));
        assertEquals(Set.of("ALIAS=yes"), ProcFs.environ(pid));
        assertSpec("{\"envs\":{\"ALIAS\":\"yes\"}}", daemon.job("alias"));
        assertError(400, "give either 'envs' or its alias 'env', not both",
                daemon.put("/job/both", sleeper("env", Map.of("A", "1"), "envs", Map.of("A", "1"))));
    }

    @Test
    void withoutEnvsAJobInheritsTheDaemonsEnvironment() throws Exception {
        int pid = startSleeping("inherits", sleeper());
        assertEquals(environment(daemon.config().environment()), ProcFs.environ(pid));
        assertEquals(ProcFs.environ(daemon.pid()), ProcFs.environ(pid));
        assertSpec("{\"envs\":null}", daemon.job("inherits"));
    }

    // ---- PATH ----

    @Test
    void aBareExecIsLookedUpInTheJobsOwnPath() throws Exception {
        Path out = scratch.resolve("own-path.txt");
        String spec = spec("exec", "jinit-probe", "args", List.of(out.toString()), "envs", Map.of("PATH", "/nonexistent:" + jobBin));
        daemon.start("own-path", spec);
        assertExited("own-path", spec, "{\"code\":0}", daemon.awaitEnded("own-path"));
        assertEquals("job-path\n", Files.readString(out));
    }

    @Test
    void withoutEnvsABareExecIsLookedUpInTheDaemonsPath() throws Exception {
        Path out = scratch.resolve("daemon-path.txt");
        daemon.start("daemon-path", spec("exec", "jinit-probe", "args", List.of(out.toString())));
        assertEquals(Map.of("code", 0), daemon.awaitEnded("daemon-path").get("exit"));
        assertEquals("daemon-path\n", Files.readString(out));
    }

    @Test
    void withoutAPathTheDefaultPathIsSearched() throws Exception {
        // The probe is on the daemon's PATH only, and this job's environment has no PATH.
        assertErrorContaining(422, "not found in PATH " + DEFAULT_PATH,
                daemon.put("/job/default-path", spec("exec", "jinit-probe", "envs", Map.of("HOME", "/"))));
        assertError(404, "no job 'default-path'", daemon.get("/job/default-path"));

        int pid = daemon.start("default-sleep", spec("exec", "sleep", "args", List.of("1000"), "envs", Map.of()));
        ProcFs.awaitExec(pid, List.of("sleep", "1000"));
        assertEquals(firstOnDefaultPath("sleep"), ProcFs.exe(pid));
    }

    private static Path firstOnDefaultPath(String program) throws Exception {
        for (String dir : DEFAULT_PATH.split(":")) {
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) return candidate.toRealPath();
        }
        throw new AssertionError(program + " is not on " + DEFAULT_PATH);
    }

    @Test
    void anExecWithASlashIsNotSearchedAndIsRelativeToCwd() throws Exception {
        Path out = scratch.resolve("relative.txt");
        daemon.start("relative", spec("exec", "./jinit-probe", "args", List.of(out.toString()), "cwd", jobBin.toString()));
        assertEquals(Map.of("code", 0), daemon.awaitEnded("relative").get("exit"));
        assertEquals("job-path\n", Files.readString(out));
    }

    @Test
    void aRelativePathEntryIsRelativeToTheJobsCwd() throws Exception {
        // As execvp does it: the lookup happens after the chdir, so "job-bin" means <cwd>/job-bin.
        Path out = scratch.resolve("relative-path.txt");
        Http.Response response = daemon.put("/job/relative-path", spec("exec", "jinit-probe", "args", List.of(out.toString()),
                "cwd", scratch.toString(), "envs", Map.of("PATH", "/nonexistent:" + scratch.relativize(jobBin))));
        assertEquals(201, response.status(), response::toString);
        assertEquals(Map.of("code", 0), daemon.awaitEnded("relative-path").get("exit"));
        assertEquals("job-path\n", Files.readString(out));
    }

    // ---- output ----

    @Test
    void aJobWritingOneMebibyteToItsCapturedOutputFinishes() throws Exception {
        String spec = spec("exec", "/bin/sh", "args", List.of("-c", "head -c 1048576 /dev/zero; head -c 1048576 /dev/zero >&2"));
        daemon.start("chatty", spec);
        assertExited("chatty", spec, "{\"code\":0}", daemon.awaitEnded("chatty"));
    }

    @Test
    void aJobWritingOneMebibyteToInitsStdoutFinishes() throws Exception {
        long before = Files.size(daemon.stdoutFile());
        String spec = spec("exec", "/bin/sh", "args", List.of("-c", "head -c 1048576 /dev/zero"), "stdio", Map.of("stdout", "inherit"));
        daemon.start("chatty-inherit", spec);
        assertEquals(Map.of("code", 0), daemon.awaitEnded("chatty-inherit").get("exit"));
        assertEquals(before + 1024 * 1024, Files.size(daemon.stdoutFile()), "1 MiB reached init's stdout");
    }
}
