package jinit.host;

import jinit.api.FdSpec;
import jinit.api.JobSpec;
import jinit.api.Readiness;
import jinit.api.Stdio;
import jinit.api.Usage;
import jinit.posix.Accounts;
import jinit.posix.Cgroups;
import jinit.posix.Credentials;
import jinit.posix.FdPair;
import jinit.posix.NotifySocket;
import jinit.posix.OpenFlags;
import jinit.posix.OutputPump;
import jinit.posix.Posix;
import jinit.posix.PosixException;
import jinit.posix.SpawnException;
import jinit.posix.SpawnRequest;
import jinit.posix.UnknownAccountException;
import jinit.supervisor.LaunchException;
import jinit.supervisor.LogRing;
import jinit.supervisor.Notifications;
import jinit.supervisor.ProcessBackend;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The real process backend: resolves a spec against this system, opens what the job is handed
 * (log pipes, files, listening sockets) and spawns it with posix_spawn.
 */
public final class PosixProcesses implements ProcessBackend {
    /** Files a job's stdio creates get rw-r--r--, as a shell redirection would under umask 022. */
    private static final int FILE_MODE = 0644;

    private final Posix posix;
    private final Accounts accounts;
    private final OutputPump pump;
    private final Map<String, String> initEnvironment;
    private final List<String> initEnvironmentList;
    /** Where init's own complaints go: its console. */
    private final Consumer<String> console;
    /**
     * Listening sockets kept open across a job's restarts, so clients are never refused. Keyed by the job and
     * by the identity the socket belongs to, so a socket made for one job or user is never handed to another;
     * {@link #forget} closes a job's sockets when it is deleted or replaced, or its start failed.
     */
    private final Map<HeldSocket, Integer> heldSockets = new HashMap<>();
    /** The jobs' cgroups, or null where init has none (then a spec with limits cannot start). */
    private final Cgroups cgroups;
    /** Why there are no cgroups, for the 422 of a spec with limits. */
    private final String noCgroupsBecause;
    /** What each job's last start left to know about it: whether it has a terminal, its oom_kill count then. */
    private final Map<String, Run> runs = new ConcurrentHashMap<>();

    private record Run(boolean terminal, long oomKillsAtStart) {}

    private record HeldSocket(String jobId, int uid, int gid, String uri) {}

    /** Variables only init may set: the notify protocol's. A job inheriting init's environment never gets init's own. */
    private static final List<String> NOTIFY_VARIABLES = List.of("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID");

    /** Where jobs' readiness goes; set once the supervisor exists. */
    private volatile Notifications notifications;
    /** Opened when the first notify job starts: a boot without one has neither the socket nor its thread. */
    private NotifySocket notifySocket;

    /** The read end of a pipe the child writes one of its outputs to, and the log stream it feeds. */
    private record LogPipe(int readFd, LogRing.Stream stream) {}

    public PosixProcesses(Posix posix, Accounts accounts, OutputPump pump, Map<String, String> initEnvironment,
                          Consumer<String> console) {
        this(posix, accounts, pump, initEnvironment, console, null, "init was started without cgroups");
    }

    /**
     * @param cgroups          where jobs get a cgroup each, or null
     * @param noCgroupsBecause why {@code cgroups} is null: what a spec with limits is told
     */
    public PosixProcesses(Posix posix, Accounts accounts, OutputPump pump, Map<String, String> initEnvironment,
                          Consumer<String> console, Cgroups cgroups, String noCgroupsBecause) {
        this.cgroups = cgroups;
        this.noCgroupsBecause = noCgroupsBecause;
        this.console = console;
        this.posix = posix;
        this.accounts = accounts;
        this.pump = pump;
        this.initEnvironment = Map.copyOf(initEnvironment);
        this.initEnvironmentList = environmentList(initEnvironment).stream()
                .filter(variable -> !isNotifyVariable(variable)).toList();
    }

    /** Readiness (the notify socket's datagrams, the ready fd's newline) goes to {@code notifications} from now on. */
    public void reportReadinessTo(Notifications notifications) {
        this.notifications = notifications;
    }

    private static boolean isNotifyVariable(String variable) {
        for (String name : NOTIFY_VARIABLES) if (variable.startsWith(name + "=")) return true;
        return false;
    }

    /** The notify socket's address, opening it (and starting its thread) the first time. */
    private synchronized String notifyAddress() throws LaunchException {
        if (notifySocket == null) {
            try {
                notifySocket = NotifySocket.open(posix, (pid, uid, group, message) -> {
                    Notifications to = notifications;
                    if (to != null) to.notified(pid, group, message);
                }, console);
            } catch (PosixException e) {
                throw new LaunchException("cannot open the notify socket: " + e.getMessage());
            }
        }
        return notifySocket.address();
    }

    /** The environment with the notify protocol's variables (sd_notify(3), sd_watchdog_enabled(3)) set by init. */
    private List<String> withNotifyVariables(List<String> envp, Readiness readiness) throws LaunchException {
        List<String> env = new ArrayList<>(envp.size() + 2);
        for (String variable : envp) if (!isNotifyVariable(variable)) env.add(variable);
        env.add("NOTIFY_SOCKET=" + notifyAddress());
        if (readiness.watchdog() > 0) env.add("WATCHDOG_USEC=" + readiness.watchdog() * 1000);
        return List.copyOf(env);
    }

    @Override
    public PreparedLaunch prepare(String id, JobSpec spec, JobOutput output) throws LaunchException {
        Map<String, String> environment = spec.envs() != null ? spec.envs() : initEnvironment;
        // The spawner searches it: as root for a root job, with the job's own ids for anyone else's.
        String searchPath = spec.exec().startsWith("/") ? null : environment.getOrDefault("PATH", JobSpec.DEFAULT_PATH);
        Credentials credentials = credentials(spec);
        List<String> argv = new ArrayList<>(spec.args().size() + 1);
        argv.add(spec.exec());
        argv.addAll(spec.args());
        List<String> baseEnvp = spec.envs() != null ? environmentList(spec.envs()) : initEnvironmentList;
        List<String> envp = spec.readiness().protocol() instanceof Readiness.Protocol.Notify
                ? withNotifyVariables(baseEnvp, spec.readiness()) : baseEnvp;
        List<Integer> sockets = spec.fds().isEmpty() ? List.of() : listeningSockets(id, credentials, spec.fds());
        Path cgroup = null;
        long oomKills = 0;
        if (cgroups != null) {
            String unsupported = cgroups.unsupported(spec.limits());
            if (unsupported != null) throw new LaunchException("cannot hold the job to its limits: " + unsupported);
            try {
                oomKills = cgroups.prepare(id, spec.limits());
            } catch (IOException e) {
                throw new LaunchException("cannot set up the job's cgroup " + cgroups.path(id) + ": " + e.getMessage());
            }
            cgroup = cgroups.path(id);
        } else if (!spec.limits().none()) {
            throw new LaunchException("limits need cgroup v2, and " + noCgroupsBecause);
        }
        Path inCgroup = cgroup;
        long oomKillsAtStart = oomKills;
        return () -> start(spec, searchPath, List.copyOf(argv), envp, credentials, sockets, output, inCgroup, id,
                oomKillsAtStart);
    }

    /** Runs under the supervisor's lock: opens the per-start descriptors, spawns, and always closes them. */
    private int start(JobSpec spec, String searchPath, List<String> argv, List<String> envp, Credentials credentials,
                      List<Integer> sockets, JobOutput output, Path cgroup, String id, long oomKillsAtStart) throws LaunchException {
        List<Integer> toClose = new ArrayList<>();
        List<LogPipe> logPipes = new ArrayList<>();
        try {
            Stdio stdio = spec.stdio();
            int stdin = stdioFd(stdio.stdin(), true, toClose);
            int stdout = outputFd(stdio.stdout(), LogRing.Stream.STDOUT, toClose, logPipes);
            int stderr = stdio.stderr() instanceof Stdio.Target.SameAsStdout
                    ? (stdout == SpawnRequest.INHERIT ? 1 : stdout)
                    : outputFd(stdio.stderr(), LogRing.Stream.STDERR, toClose, logPipes);
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
            int readyPipe = readyPipe(spec.readiness(), passFds, toClose);
            SpawnRequest request = new SpawnRequest(spec.exec(), argv, envp, spec.cwd(), searchPath, credentials,
                    stdin, stdout, stderr, passFds, List.of());
            // systemd's protocol: the spawner starts the job through jinit-exec, which sets LISTEN_PID.
            if (!spec.fds().isEmpty()) request = request.socketActivated(spec.fds().stream().map(FdSpec::name).toList());
            // ... and WATCHDOG_PID, which only the job's own process can know before it execs.
            if (spec.readiness().watchdog() > 0) request = request.withWatchdogPid();
            int pid = cgroup == null ? posix.spawner().spawn(request) : posix.spawner().spawn(request, cgroup);
            runs.put(id, new Run(terminal(stdin, 0) || terminal(stdout, 1) || terminal(stderr, 2), oomKillsAtStart));
            for (LogPipe pipe : logPipes) watch(pipe, output);
            logPipes.clear();
            if (readyPipe >= 0) {
                toClose.remove(Integer.valueOf(readyPipe)); // the pump's from now on
                watchReadyFd(readyPipe, pid);
            }
            return pid;
        } catch (SpawnException e) {
            throw new LaunchException("cannot start '" + spec.exec() + "': " + e.getMessage());
        } finally {
            for (int fd : toClose) posix.close(fd);
            for (LogPipe pipe : logPipes) posix.close(pipe.readFd()); // spawn failed: nobody will write to these
        }
    }

    /**
     * s6's protocol: a pipe whose write end the job gets as fd N (the slots between the {@code fds} entries and N hold
     * /dev/null) and whose read end init keeps; the read end, or -1 for a job without a ready fd. The read end is in
     * {@code toClose} until the spawn succeeded and {@link #watchReadyFd} takes it.
     */
    private int readyPipe(Readiness readiness, List<Integer> passFds, List<Integer> toClose) throws LaunchException {
        if (!(readiness.protocol() instanceof Readiness.Protocol.Fd(int readyFd))) return -1;
        FdPair pipe;
        try {
            pipe = posix.pipe();
        } catch (PosixException e) {
            throw new LaunchException("cannot create the ready pipe: " + e.getMessage());
        }
        toClose.add(pipe.writeFd());
        toClose.add(pipe.readFd());
        while (3 + passFds.size() < readyFd) passFds.add(SpawnRequest.DEV_NULL);
        passFds.add(pipe.writeFd());
        return pipe.readFd();
    }

    /** The first newline on the ready pipe makes the job ready; what follows is read and dropped until it closes. */
    private void watchReadyFd(int readFd, int pid) {
        try {
            pump.watch(readFd, new OutputPump.Sink() {
                private boolean told;

                @Override
                public void data(byte[] buffer, int offset, int length) {
                    for (int i = offset; i < offset + length && !told; i++) {
                        if (buffer[i] != '\n') continue;
                        told = true;
                        Notifications to = notifications;
                        if (to != null) to.readyByFd(pid);
                    }
                }

                @Override
                public void closed() {}
            });
        } catch (PosixException | RuntimeException e) {
            console.accept("cannot watch a ready fd: " + e.getMessage());
            posix.close(readFd); // the job's newline then meets EPIPE; without readiness, its ready timeout decides
        }
    }

    /** Whether the parent's fd handed to the child as its {@code stream} (0, 1, 2) is a terminal, the console included. */
    private boolean terminal(int fd, int stream) {
        if (fd == SpawnRequest.DEV_NULL) return false;
        return posix.isTerminal(fd == SpawnRequest.INHERIT ? stream : fd);
    }

    /** The parent's fd for stdout or stderr: a log pipe for the log, else as {@link #stdioFd} opens it. */
    private int outputFd(Stdio.Target target, LogRing.Stream stream, List<Integer> toClose, List<LogPipe> logPipes)
            throws LaunchException {
        if (!(target instanceof Stdio.Target.Log)) return stdioFd(target, false, toClose);
        FdPair pipe;
        try {
            pipe = posix.pipe();
        } catch (PosixException e) {
            throw new LaunchException("cannot create a log pipe: " + e.getMessage());
        }
        toClose.add(pipe.writeFd());
        logPipes.add(new LogPipe(pipe.readFd(), stream));
        return pipe.writeFd();
    }

    /**
     * The parent's fd to hand the child for a stdio stream that is not a log pipe; what it opens is added to
     * {@code toClose}. Logs are only for outputs ({@link #outputFd}), and 2>&1 only for stderr.
     */
    private int stdioFd(Stdio.Target target, boolean input, List<Integer> toClose) throws LaunchException {
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
            case Stdio.Target.Log l -> throw new LaunchException("only stdout and stderr can go to the log");
            case Stdio.Target.SameAsStdout s -> throw new LaunchException("only stderr can go to stdout");
        };
    }

    private void watch(LogPipe pipe, JobOutput output) {
        output.streamOpened();
        try {
            pump.watch(pipe.readFd(), new OutputPump.Sink() {
                @Override
                public void data(byte[] buffer, int offset, int length) {
                    output.write(pipe.stream(), buffer, offset, length);
                }

                @Override
                public void closed() {
                    output.streamClosed();
                }
            });
        } catch (PosixException | RuntimeException e) {
            // The job would block once the pipe fills; closing the read end gives it EPIPE instead.
            console.accept("cannot watch a log pipe: " + e.getMessage());
            posix.close(pipe.readFd());
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

    /**
     * Opens (once per job, identity and uri) the sockets the spec asks for, in spec order, owned by the
     * identity the job runs as.
     */
    private List<Integer> listeningSockets(String id, Credentials credentials, List<FdSpec> fds) throws LaunchException {
        int uid = credentials == null ? 0 : credentials.uid();
        int gid = credentials == null ? 0 : credentials.gid();
        synchronized (heldSockets) {
            List<Integer> sockets = new ArrayList<>();
            for (FdSpec fd : fds) {
                if (!(fd instanceof FdSpec.Listen(String uri, String name))) continue;
                HeldSocket key = new HeldSocket(id, uid, gid, uri);
                Integer socket = heldSockets.get(key);
                if (socket == null) {
                    try {
                        socket = posix.listenAs(uri, uid, gid);
                    } catch (PosixException e) {
                        throw new LaunchException(e.getMessage());
                    }
                    heldSockets.put(key, socket);
                }
                sockets.add(socket);
            }
            return sockets;
        }
    }

    @Override
    public void forget(String id) {
        List<Integer> toClose = new ArrayList<>();
        synchronized (heldSockets) {
            heldSockets.entrySet().removeIf(held -> {
                if (!held.getKey().jobId().equals(id)) return false;
                toClose.add(held.getValue());
                return true;
            });
        }
        toClose.forEach(posix::close);
        runs.remove(id);
        if (cgroups != null) {
            String failed = cgroups.remove(id);
            if (failed != null) console.accept(failed);
        }
    }

    @Override
    public void ended(String id) {
        if (cgroups != null) cgroups.removeIfEmpty(id);
    }

    @Override
    public boolean onTerminal(String id) {
        Run run = runs.get(id);
        return run != null && run.terminal();
    }

    @Override
    public boolean killTree(String id) {
        return cgroups != null && cgroups.kill(id);
    }

    @Override
    public Usage usage(String id) {
        return cgroups == null ? null : cgroups.usage(id);
    }

    @Override
    public boolean oomKilled(String id) {
        Run run = runs.get(id);
        return cgroups != null && run != null && cgroups.oomKills(id) > run.oomKillsAtStart();
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
}
