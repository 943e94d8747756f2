package jinit.boot;

import jinit.api.ExitStatus;
import jinit.api.FdSpec;
import jinit.api.JobSpec;
import jinit.api.Stdio;
import jinit.posix.Accounts;
import jinit.posix.Credentials;
import jinit.posix.FdPair;
import jinit.posix.OpenFlags;
import jinit.posix.OutputPump;
import jinit.posix.Posix;
import jinit.posix.PosixException;
import jinit.posix.SpawnException;
import jinit.posix.SpawnRequest;
import jinit.posix.UnknownAccountException;
import jinit.posix.WaitStatus;
import jinit.supervisor.LaunchException;
import jinit.supervisor.LogRing;
import jinit.supervisor.ProcessBackend;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The real process backend: resolves a spec against this system, opens what the job is handed
 * (log pipes, files, listening sockets) and spawns it with posix_spawn.
 */
final class PosixProcesses implements ProcessBackend {
    /** Where a job without a PATH of its own looks for a bare program name. */
    static final String DEFAULT_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";
    /** Files a job's stdio creates get rw-r--r--, as a shell redirection would under umask 022. */
    private static final int FILE_MODE = 0644;

    private final Posix posix;
    private final Accounts accounts;
    private final OutputPump pump;
    private final Map<String, String> initEnvironment;
    private final List<String> initEnvironmentList;
    /** Listening sockets, per job id and uri, kept open across restarts so clients are never refused. */
    private final Map<String, Map<String, Integer>> heldSockets = new HashMap<>();

    PosixProcesses(Posix posix, Accounts accounts, OutputPump pump, Map<String, String> initEnvironment) {
        this.posix = posix;
        this.accounts = accounts;
        this.pump = pump;
        this.initEnvironment = Map.copyOf(initEnvironment);
        this.initEnvironmentList = environmentList(initEnvironment);
    }

    @Override
    public PreparedLaunch prepare(String id, JobSpec spec, JobOutput output) throws LaunchException {
        Map<String, String> environment = spec.envs() != null ? spec.envs() : initEnvironment;
        String path = resolveExecutable(spec.exec(), spec.cwd(), environment.getOrDefault("PATH", DEFAULT_PATH));
        Credentials credentials = credentials(spec);
        List<String> argv = new ArrayList<>(spec.args().size() + 1);
        argv.add(spec.exec());
        argv.addAll(spec.args());
        List<String> envp = spec.envs() != null ? environmentList(spec.envs()) : initEnvironmentList;
        List<Integer> sockets = spec.fds().isEmpty() ? List.of() : listeningSockets(id, spec.fds());
        // posix_spawn cannot tell us the pid before the child runs, yet LISTEN_PID must equal it. A job with
        // fds therefore execs jinit-exec, a few lines of C that set LISTEN_PID to its own pid and exec the
        // real program: no fork() in the JVM, and no shell needed in the rootfs.
        Path helper = null;
        if (!spec.fds().isEmpty()) {
            try {
                helper = Posix.execHelper();
            } catch (SpawnException e) {
                throw new LaunchException("cannot pass fds to '" + spec.exec() + "': " + e.getMessage());
            }
        }
        String program = path;
        Path execHelper = helper;
        return () -> start(spec, program, List.copyOf(argv), envp, credentials, sockets, execHelper, output);
    }

    /** Runs under the supervisor's lock: opens the per-start descriptors, spawns, and always closes them. */
    private int start(JobSpec spec, String path, List<String> argv, List<String> envp, Credentials credentials,
                      List<Integer> sockets, Path execHelper, JobOutput output) throws LaunchException {
        List<Integer> toClose = new ArrayList<>();
        List<Integer> pipesToWatch = new ArrayList<>();
        List<LogRing.Stream> pipeStreams = new ArrayList<>();
        try {
            Stdio stdio = spec.stdio();
            int stdin = stdioFd(stdio.stdin(), true, LogRing.Stream.STDOUT, toClose, pipesToWatch, pipeStreams);
            int stdout = stdioFd(stdio.stdout(), false, LogRing.Stream.STDOUT, toClose, pipesToWatch, pipeStreams);
            int stderr = stdio.stderr() instanceof Stdio.Target.SameAsStdout
                    ? (stdout == SpawnRequest.INHERIT ? 1 : stdout)
                    : stdioFd(stdio.stderr(), false, LogRing.Stream.STDERR, toClose, pipesToWatch, pipeStreams);
            List<Integer> passFds = new ArrayList<>(spec.fds().size());
            int socketIndex = 0;
            for (FdSpec fd : spec.fds()) {
                switch (fd) {
                    case FdSpec.Listen listen -> passFds.add(sockets.get(socketIndex++));
                    case FdSpec.File(String file, String mode, String name) -> {
                        int opened = open(file, fileFlags(mode));
                        toClose.add(opened);
                        passFds.add(opened);
                    }
                }
            }
            SpawnRequest request = new SpawnRequest(path, argv, envp, spec.cwd(), credentials, stdin, stdout, stderr, passFds);
            if (execHelper != null) request = request.socketActivated(execHelper, spec.fds().stream().map(FdSpec::name).toList());
            int pid = posix.spawner().spawn(request);
            for (int i = 0; i < pipesToWatch.size(); i++) watch(pipesToWatch.get(i), pipeStreams.get(i), output);
            pipesToWatch.clear();
            return pid;
        } catch (SpawnException e) {
            throw new LaunchException("cannot start '" + spec.exec() + "': " + e.getMessage());
        } finally {
            for (int fd : toClose) posix.close(fd);
            for (int fd : pipesToWatch) posix.close(fd); // spawn failed: nobody will write to these
        }
    }

    /** The parent's fd to hand the child for one stdio stream; what it opens is added to {@code toClose}. */
    private int stdioFd(Stdio.Target target, boolean input, LogRing.Stream stream, List<Integer> toClose,
                        List<Integer> pipesToWatch, List<LogRing.Stream> pipeStreams) throws LaunchException {
        return switch (target) {
            case Stdio.Target.Null n -> SpawnRequest.DEV_NULL;
            case Stdio.Target.Inherit i -> SpawnRequest.INHERIT;
            case Stdio.Target.Console c -> {
                int fd = open("/dev/console", (input ? OpenFlags.O_RDONLY : OpenFlags.O_WRONLY) | OpenFlags.O_NOCTTY);
                toClose.add(fd);
                yield fd;
            }
            case Stdio.Target.File(String file, boolean append) -> {
                int flags = input ? OpenFlags.O_RDONLY
                        : OpenFlags.O_WRONLY | OpenFlags.O_CREAT | (append ? OpenFlags.O_APPEND : OpenFlags.O_TRUNC);
                int fd = open(file, flags);
                toClose.add(fd);
                yield fd;
            }
            case Stdio.Target.Log l -> {
                FdPair pipe;
                try {
                    pipe = posix.pipe();
                } catch (PosixException e) {
                    throw new LaunchException("cannot create a log pipe: " + e.getMessage());
                }
                toClose.add(pipe.writeFd());
                pipesToWatch.add(pipe.readFd());
                pipeStreams.add(stream);
                yield pipe.writeFd();
            }
            case Stdio.Target.SameAsStdout s -> throw new LaunchException("only stderr can go to stdout");
        };
    }

    private void watch(int readFd, LogRing.Stream stream, JobOutput output) {
        output.streamOpened();
        try {
            pump.watch(readFd, new OutputPump.Sink() {
                @Override
                public void data(byte[] buffer, int offset, int length) {
                    output.write(stream, buffer, offset, length);
                }

                @Override
                public void closed() {
                    output.streamClosed();
                }
            });
        } catch (PosixException | RuntimeException e) {
            // The job would block once the pipe fills; closing the read end gives it EPIPE instead.
            Console.log("cannot watch a log pipe: " + e.getMessage());
            posix.close(readFd);
            output.streamClosed();
        }
    }

    private int open(String file, int flags) throws LaunchException {
        try {
            return posix.open(file, flags, FILE_MODE);
        } catch (PosixException e) {
            throw new LaunchException(e.getMessage());
        }
    }

    private static int fileFlags(String mode) {
        return switch (mode) {
            case "r" -> OpenFlags.O_RDONLY;
            case "w" -> OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC;
            case "a" -> OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_APPEND;
            case "rw" -> OpenFlags.O_RDWR | OpenFlags.O_CREAT;
            default -> throw new IllegalArgumentException("mode " + mode);
        };
    }

    /** Opens (once per job id and uri) the sockets the spec asks for, in spec order. */
    private List<Integer> listeningSockets(String id, List<FdSpec> fds) throws LaunchException {
        synchronized (heldSockets) {
            Map<String, Integer> held = heldSockets.computeIfAbsent(id, key -> new LinkedHashMap<>());
            List<Integer> sockets = new ArrayList<>();
            for (FdSpec fd : fds) {
                if (!(fd instanceof FdSpec.Listen(String uri, String name))) continue;
                Integer socket = held.get(uri);
                if (socket == null) {
                    try {
                        socket = posix.listen(uri);
                    } catch (PosixException e) {
                        throw new LaunchException(e.getMessage());
                    }
                    held.put(uri, socket);
                }
                sockets.add(socket);
            }
            return sockets;
        }
    }

    @Override
    public void forget(String id) {
        Map<String, Integer> held;
        synchronized (heldSockets) {
            held = heldSockets.remove(id);
        }
        if (held != null) held.values().forEach(posix::close);
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
     * slash is not searched; a relative one is relative to the job's cwd, as a shell would run it there.
     */
    static String resolveExecutable(String exec, String cwd, String searchPath) throws LaunchException {
        if (exec.startsWith("/")) return exec;
        if (exec.indexOf('/') >= 0) return Path.of("/").resolve(cwd).resolve(exec).normalize().toString();
        for (String directory : searchPath.split(":")) {
            // An empty or relative PATH entry is relative to the job's cwd, where the job will look too.
            Path candidate = Path.of("/").resolve(cwd).resolve(directory.isEmpty() ? "." : directory).resolve(exec);
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
