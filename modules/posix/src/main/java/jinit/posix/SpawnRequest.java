package jinit.posix;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import jinit.api.FdSpec;

/**
 * Everything needed to start one process; nothing is taken implicitly from the JVM except what the
 * stdio fields say to inherit.
 *
 * @param path        the executable: an absolute path, or, with a {@code searchPath}, a name to look for there
 *                    (a name with a slash is relative to {@code cwd})
 * @param argv        the arguments, argv[0] included
 * @param envp        the complete environment as "K=V" strings
 * @param cwd         working directory, or null to keep the JVM's
 * @param searchPath  where to look for a {@code path} without a slash ({@code PATH}'s form), or null when
 *                    {@code path} is absolute already
 * @param credentials identity to run as, or null to stay root. The search, the chdir and every check run with
 *                    these ids, in the child: see {@code src/main/c/jinit-exec.c}
 * @param stdin       parent fd to become fd 0, or {@link #DEV_NULL} or {@link #INHERIT}; likewise stdout, stderr
 * @param passFds     parent fds that become 3, 4, 5... in order, or {@link #DEV_NULL} for a slot opened on
 *                    /dev/null; every other fd is closed in the child
 * @param fdNames     empty, or one name for each of the first passed fds: the child is then socket-activated, see
 *                    {@link #socketActivated}
 * @param watchdogPid the child gets its own pid in {@code WATCHDOG_PID} (systemd's sd_watchdog_enabled(3) checks
 *                    it), set by the jinit-exec helper as {@code LISTEN_PID} is
 */
public record SpawnRequest(
        String path,
        List<String> argv,
        List<String> envp,
        String cwd,
        String searchPath,
        Credentials credentials,
        int stdin,
        int stdout,
        int stderr,
        List<Integer> passFds,
        List<String> fdNames,
        boolean watchdogPid) {

    /** Open /dev/null for this stdio fd. */
    public static final int DEV_NULL = -1;
    /** Keep the JVM's own fd 0, 1 or 2. */
    public static final int INHERIT = -2;

    public SpawnRequest {
        Objects.requireNonNull(path, "path");
        if (searchPath == null && !path.startsWith("/")) {
            throw new IllegalArgumentException("path must be absolute: " + path);
        }
        argv = List.copyOf(argv);
        envp = List.copyOf(envp);
        passFds = List.copyOf(passFds);
        fdNames = List.copyOf(fdNames);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv must hold at least argv[0]");
        }
        // C strings end at the first NUL, so one inside would silently cut the value short.
        requireNoNul("path", path);
        requireNoNul("cwd", cwd);
        requireNoNul("searchPath", searchPath);
        argv.forEach(a -> requireNoNul("argv", a));
        envp.forEach(e -> requireNoNul("envp", e));
        requireStdio("stdin", stdin);
        requireStdio("stdout", stdout);
        requireStdio("stderr", stderr);
        for (int fd : passFds) {
            if (fd < 0 && fd != DEV_NULL) {
                throw new IllegalArgumentException("passFds holds a negative fd: " + fd);
            }
        }
        if (fdNames.size() > passFds.size()) {
            throw new IllegalArgumentException(
                    fdNames.size() + " fd names for " + passFds.size() + " fds; give at most one name per fd");
        }
        fdNames.forEach(SpawnRequest::requireFdName);
    }

    public SpawnRequest(String path, List<String> argv, List<String> envp, String cwd, String searchPath,
                        Credentials credentials, int stdin, int stdout, int stderr, List<Integer> passFds,
                        List<String> fdNames) {
        this(path, argv, envp, cwd, searchPath, credentials, stdin, stdout, stderr, passFds, fdNames, false);
    }

    /** An absolute {@code path}, no search, not socket-activated. */
    public SpawnRequest(String path, List<String> argv, List<String> envp, String cwd, Credentials credentials,
                        int stdin, int stdout, int stderr, List<Integer> passFds) {
        this(path, argv, envp, cwd, null, credentials, stdin, stdout, stderr, passFds, List.of());
    }

    /** Runs {@code argv} as root with an empty environment, stdio on /dev/null, in the JVM's cwd. */
    public static SpawnRequest of(String path, List<String> argv) {
        return new SpawnRequest(path, argv, List.of(), null, null, DEV_NULL, DEV_NULL, DEV_NULL, List.of());
    }

    /** Whether the child execs the jinit-exec helper first: to drop root's ids, or to learn its own pid. */
    boolean throughHelper() {
        return credentials != null || !fdNames.isEmpty() || watchdogPid;
    }

    /** This request, with the child's own pid in {@code WATCHDOG_PID} (any value in {@link #envp()} is replaced). */
    public SpawnRequest withWatchdogPid() {
        List<String> env = new ArrayList<>(envp.size());
        for (String var : envp) if (!var.startsWith("WATCHDOG_PID=")) env.add(var);
        return new SpawnRequest(path, argv, env, cwd, searchPath, credentials, stdin, stdout, stderr, passFds, fdNames, true);
    }

    /**
     * This request, started the way systemd's socket activation expects (sd_listen_fds(3)): the passed fds
     * are announced by {@code LISTEN_FDS} (their count) and {@code LISTEN_FDNAMES} ({@code fdNames} joined by
     * ':'), and the spawner runs the program through the jinit-exec helper (see {@link Posix#execHelper()}),
     * which sets {@code LISTEN_PID} to the child's own pid before it execs {@link #path()}. Only the helper
     * can know that pid: posix_spawn reports it after the exec, and jinit neither forks in the JVM nor relies
     * on a shell. Any LISTEN_PID, LISTEN_FDS or LISTEN_FDNAMES in {@link #envp()} is replaced.
     *
     * @param fdNames one name for each of the first passed fds, each as {@link FdSpec#isValidName} allows; fds after
     *                those (a ready fd) are passed but not announced
     */
    public SpawnRequest socketActivated(List<String> fdNames) {
        if (passFds.isEmpty()) {
            throw new IllegalArgumentException("socket activation needs at least one fd in passFds");
        }
        if (fdNames.isEmpty() || fdNames.size() > passFds.size()) {
            throw new IllegalArgumentException(fdNames.size() + " fd names for " + passFds.size()
                    + " fds; name at least the first and at most all");
        }
        List<String> env = new ArrayList<>(envp.size() + 2);
        for (String var : envp) {
            if (!var.startsWith("LISTEN_PID=") && !var.startsWith("LISTEN_FDS=") && !var.startsWith("LISTEN_FDNAMES=")) {
                env.add(var);
            }
        }
        env.add("LISTEN_FDS=" + fdNames.size());
        env.add("LISTEN_FDNAMES=" + String.join(":", fdNames));
        return new SpawnRequest(path, argv, env, cwd, searchPath, credentials, stdin, stdout, stderr, passFds, fdNames,
                watchdogPid);
    }

    private static void requireFdName(String name) {
        if (!FdSpec.isValidName(name)) {
            throw new IllegalArgumentException("fd name must be " + FdSpec.NAME_RULE + ": \"" + name + "\"");
        }
    }

    private static void requireNoNul(String field, String value) {
        if (value != null && value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(field + " contains a NUL character");
        }
    }

    private static void requireStdio(String field, int fd) {
        if (fd < INHERIT) {
            throw new IllegalArgumentException(field + " must be an fd, DEV_NULL or INHERIT: " + fd);
        }
    }
}
