package jinit.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What to run, normalized: defaults filled in, aliases resolved.
 *
 * @param exec        the program; without a slash it is looked up in the job's own PATH
 * @param args        arguments after argv[0] (argv[0] is {@code exec})
 * @param cwd         working directory, "/" by default
 * @param envs        the job's entire environment, or null to inherit init's (an admin's job only: the access rules
 *                    give anyone else's job a login environment)
 * @param user        run as this user, or null for root (an admin's job only: the access rules make a missing user
 *                    the caller)
 * @param group       run with this group, or null for the user's primary group
 * @param restart     whether and how fast to restart, {@link Restart#NEVER} by default
 * @param stdio       where stdin, stdout and stderr go, {@link Stdio#DEFAULT} by default
 * @param logBytes    the heap the job's log may take, in bytes (its text and what storing it costs)
 * @param fds         descriptors passed as fd 3, 4, …
 * @param stopTimeout ms between TERM and KILL when the job is stopped
 * @param readiness   when the job counts as ready, and its watchdog; {@link Readiness#WHEN_RUNNING} by default
 * @param limits      what its cgroup holds it to, {@link Limits#NONE} by default
 */
public record JobSpec(String exec, List<String> args, String cwd, Map<String, String> envs,
                      AccountRef user, AccountRef group, Restart restart, Stdio stdio, int logBytes,
                      List<FdSpec> fds, long stopTimeout, Readiness readiness, Limits limits) {

    public static final String DEFAULT_CWD = "/";
    /** Where a bare {@code exec} is looked for when the job's environment has no PATH. */
    public static final String DEFAULT_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";
    /** 256 KiB: a few thousand lines of context; all logs together are held to a budget besides (the supervisor's). */
    public static final int DEFAULT_LOG_BYTES = 256 * 1024;
    /** The largest log a job may ask for: 16 MiB, so one spec cannot exhaust a small board's memory. */
    public static final int MAX_LOG_BYTES = 16 * 1024 * 1024;
    /** 10 s between TERM and KILL, as systemd and Docker do. */
    public static final long DEFAULT_STOP_TIMEOUT = 10_000;

    public JobSpec {
        args = List.copyOf(args);
        if (envs != null) envs = Collections.unmodifiableMap(new LinkedHashMap<>(envs));
        fds = List.copyOf(fds);
        if (readiness == null) readiness = Readiness.WHEN_RUNNING;
        if (limits == null) limits = Limits.NONE;
    }

    /** A spec that is ready once running, without limits. */
    public JobSpec(String exec, List<String> args, String cwd, Map<String, String> envs,
                   AccountRef user, AccountRef group, Restart restart, Stdio stdio, int logBytes,
                   List<FdSpec> fds, long stopTimeout) {
        this(exec, args, cwd, envs, user, group, restart, stdio, logBytes, fds, stopTimeout, Readiness.WHEN_RUNNING,
                Limits.NONE);
    }

    /** A spec without limits. */
    public JobSpec(String exec, List<String> args, String cwd, Map<String, String> envs,
                   AccountRef user, AccountRef group, Restart restart, Stdio stdio, int logBytes,
                   List<FdSpec> fds, long stopTimeout, Readiness readiness) {
        this(exec, args, cwd, envs, user, group, restart, stdio, logBytes, fds, stopTimeout, readiness, Limits.NONE);
    }

    /** A spec that is ready once running. */
    public JobSpec(String exec, List<String> args, String cwd, Map<String, String> envs,
                   AccountRef user, AccountRef group, Restart restart, Stdio stdio, int logBytes,
                   List<FdSpec> fds, long stopTimeout, Limits limits) {
        this(exec, args, cwd, envs, user, group, restart, stdio, logBytes, fds, stopTimeout, Readiness.WHEN_RUNNING, limits);
    }

    public static JobSpec of(String exec, String... args) {
        return new JobSpec(exec, List.of(args), DEFAULT_CWD, null, null, null, Restart.NEVER, Stdio.DEFAULT,
                DEFAULT_LOG_BYTES, List.of(), DEFAULT_STOP_TIMEOUT);
    }

    public JobSpec withUser(AccountRef newUser) {
        return new JobSpec(exec, args, cwd, envs, newUser, group, restart, stdio, logBytes, fds, stopTimeout, readiness, limits);
    }

    public JobSpec withEnvs(Map<String, String> newEnvs) {
        return new JobSpec(exec, args, cwd, newEnvs, user, group, restart, stdio, logBytes, fds, stopTimeout, readiness, limits);
    }

    public JobSpec withReadiness(Readiness newReadiness) {
        return new JobSpec(exec, args, cwd, envs, user, group, restart, stdio, logBytes, fds, stopTimeout, newReadiness, limits);
    }

    public JobSpec withStdio(Stdio newStdio) {
        return new JobSpec(exec, args, cwd, envs, user, group, restart, newStdio, logBytes, fds, stopTimeout, readiness, limits);
    }

    public JobSpec withLimits(Limits newLimits) {
        return new JobSpec(exec, args, cwd, envs, user, group, restart, stdio, logBytes, fds, stopTimeout, readiness, newLimits);
    }
}
