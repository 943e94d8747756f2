package jinit.boot;

import jinit.api.ExitStatus;
import jinit.api.Signal;
import jinit.posix.ChildExit;
import jinit.posix.ChildExitListener;
import jinit.posix.OpenFlags;
import jinit.posix.Posix;
import jinit.posix.PosixException;
import jinit.posix.SpawnException;
import jinit.posix.SpawnRequest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The test JVM's own children (daemons, curl, unshare, useradd), spawned with {@code jinit.posix}
 * and collected by its one reaper, exactly as the daemon does it: the project bans ProcessBuilder,
 * whose internal reaper would race ours. Spawning and registering a pid happen under the lock the
 * reaper's listener takes, so an exit that comes before {@code spawn} returns is never lost.
 */
final class Processes implements ChildExitListener {
    static final Posix POSIX = Posix.load();

    private static final Processes INSTANCE = new Processes();

    static {
        POSIX.reaper().start(INSTANCE);
    }

    private final Object lock = new Object();
    private final Map<Integer, CompletableFuture<ExitStatus>> children = new HashMap<>();

    private Processes() {}

    /** What a finished command left behind. */
    record Result(ExitStatus status, String stdout, String stderr) {
        @Override
        public String toString() {
            return status + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    /**
     * Starts {@code argv} (argv[0] an absolute path) with stdin on /dev/null and stdout/stderr
     * appended to the given files.
     */
    static int spawn(List<String> argv, Map<String, String> environment, Path stdout, Path stderr)
            throws SpawnException, PosixException {
        List<String> envp = new ArrayList<>();
        environment.forEach((key, value) -> envp.add(key + "=" + value));
        int out = openForAppend(stdout);
        try {
            int err = openForAppend(stderr);
            try {
                SpawnRequest request = new SpawnRequest(argv.getFirst(), argv, envp, null, null,
                        SpawnRequest.DEV_NULL, out, err, List.of());
                synchronized (INSTANCE.lock) {
                    int pid = POSIX.spawner().spawn(request);
                    INSTANCE.children.put(pid, new CompletableFuture<>());
                    return pid;
                }
            } finally {
                POSIX.close(err);
            }
        } finally {
            POSIX.close(out);
        }
    }

    /** Runs a short command to its end and returns what it printed. */
    static Result run(List<String> argv, Duration timeout) throws Exception {
        Path dir = Files.createDirectories(Daemon.WORK.resolve("commands"));
        Path stdout = Files.createTempFile(dir, "out-", ".txt");
        Path stderr = Files.createTempFile(dir, "err-", ".txt");
        int pid = spawn(argv, System.getenv(), stdout, stderr);
        ExitStatus status;
        try {
            status = awaitExit(pid, timeout);
        } catch (TimeoutException e) {
            signal(pid, Signal.KILL);
            awaitExit(pid, timeout);
            throw new AssertionError(argv + " did not finish within " + timeout, e);
        }
        Result result = new Result(status, Files.readString(stdout), Files.readString(stderr));
        Files.delete(stdout);
        Files.delete(stderr);
        return result;
    }

    static Result run(String... argv) throws Exception {
        return run(List.of(argv), Duration.ofSeconds(30));
    }

    /** Waits for a child of this JVM to end. */
    static ExitStatus awaitExit(int pid, Duration timeout) throws InterruptedException, TimeoutException {
        try {
            return future(pid).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The exit of a child of this JVM, if it has ended. */
    static Optional<ExitStatus> exitOf(int pid) {
        return Optional.ofNullable(future(pid).getNow(null));
    }

    /**
     * Sends {@code signal} to a child of this JVM unless it was already reaped, in which case its pid
     * may belong to a stranger by now; the lock keeps the reaper from reaping it meanwhile.
     */
    static boolean signal(int pid, int signal) throws PosixException {
        synchronized (INSTANCE.lock) {
            if (future(pid).isDone()) return false;
            POSIX.kill(pid, signal);
            return true;
        }
    }

    private static CompletableFuture<ExitStatus> future(int pid) {
        synchronized (INSTANCE.lock) {
            CompletableFuture<ExitStatus> exit = INSTANCE.children.get(pid);
            if (exit == null) throw new IllegalArgumentException("pid " + pid + " is not a child spawned here");
            return exit;
        }
    }

    private static int openForAppend(Path file) throws PosixException {
        return POSIX.open(file.toString(), OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_APPEND, 0644);
    }

    @Override
    public void childExited(ChildExit exit) {
        synchronized (lock) {
            exit.reap();
            CompletableFuture<ExitStatus> waiting = children.get(exit.pid());
            if (waiting != null) waiting.complete(exit.status());
        }
    }
}
