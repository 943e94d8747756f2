package jinit.boot;

import jinit.api.ExitStatus;
import jinit.api.JobSpec;
import jinit.posix.Accounts;
import jinit.posix.Credentials;
import jinit.posix.Posix;
import jinit.posix.PosixException;
import jinit.posix.SpawnException;
import jinit.posix.SpawnRequest;
import jinit.posix.UnknownAccountException;
import jinit.posix.WaitStatus;
import jinit.supervisor.LaunchException;
import jinit.supervisor.ProcessBackend;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The real process backend: resolves a spec against this system and spawns it with posix_spawn. */
final class PosixProcesses implements ProcessBackend {
    /** Where a job without a PATH of its own looks for a bare program name. */
    static final String DEFAULT_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

    private final Posix posix;
    private final Accounts accounts;
    private final Map<String, String> initEnvironment;
    private final List<String> initEnvironmentList;

    PosixProcesses(Posix posix, Accounts accounts, Map<String, String> initEnvironment) {
        this.posix = posix;
        this.accounts = accounts;
        this.initEnvironment = Map.copyOf(initEnvironment);
        this.initEnvironmentList = environmentList(initEnvironment);
    }

    @Override
    public PreparedLaunch prepare(String id, JobSpec spec) throws LaunchException {
        return prepare(spec, SpawnRequest.DEV_NULL, SpawnRequest.INHERIT, SpawnRequest.INHERIT);
    }

    /** The boot job shares init's stdin as well; every other job reads /dev/null. */
    PreparedLaunch prepare(JobSpec spec, int stdin, int stdout, int stderr) throws LaunchException {
        Map<String, String> environment = spec.envs() != null ? spec.envs() : initEnvironment;
        List<String> envp = spec.envs() != null ? environmentList(spec.envs()) : initEnvironmentList;
        String path = resolveExecutable(spec.exec(), environment.getOrDefault("PATH", DEFAULT_PATH));
        Credentials credentials = credentials(spec);
        List<String> argv = new ArrayList<>(spec.args().size() + 1);
        argv.add(spec.exec());
        argv.addAll(spec.args());
        SpawnRequest request = new SpawnRequest(path, argv, envp, spec.cwd(), credentials, stdin, stdout, stderr, List.of());
        return () -> {
            try {
                return posix.spawner().spawn(request);
            } catch (SpawnException e) {
                throw new LaunchException("cannot start '" + spec.exec() + "': " + e.getMessage());
            }
        };
    }

    private Credentials credentials(JobSpec spec) throws LaunchException {
        if (spec.user() == null && spec.group() == null) return null;
        try {
            return accounts.resolve(spec.user() == null ? null : spec.user().text(),
                    spec.group() == null ? null : spec.group().text());
        } catch (UnknownAccountException e) {
            throw new LaunchException(e.getMessage());
        }
    }

    /**
     * posix_spawnp would search init's PATH, not the job's, so the lookup happens here. A name with a
     * slash is used as given (relative to the job's cwd, since chdir happens before exec).
     */
    static String resolveExecutable(String exec, String searchPath) throws LaunchException {
        if (exec.indexOf('/') >= 0) return exec;
        for (String directory : searchPath.split(":")) {
            Path candidate = Path.of(directory.isEmpty() ? "." : directory, exec);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) return candidate.toString();
        }
        throw new LaunchException("cannot start '" + exec + "': not found in PATH " + searchPath + " (ENOENT)");
    }

    private static List<String> environmentList(Map<String, String> environment) {
        List<String> list = new ArrayList<>(environment.size());
        environment.forEach((key, value) -> list.add(key + "=" + value));
        return List.copyOf(list);
    }

    @Override
    public void signal(int pid, int signal) throws LaunchException {
        try {
            posix.kill(pid, signal);
        } catch (PosixException e) {
            throw new LaunchException(e.getMessage());
        }
    }

    static ExitStatus exitStatus(WaitStatus status) {
        return switch (status) {
            case WaitStatus.Exited(int code) -> new ExitStatus.Code(code);
            case WaitStatus.Killed(int signal, boolean coreDumped) -> new ExitStatus.Signaled(signal, coreDumped);
        };
    }
}
