package jinit.posix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import jinit.api.ExitStatus;

/**
 * The tests' stand-in for the supervisor: the one listener of the JVM's one reaper. Spawning and
 * registering happen under the same lock the listener takes, as {@link ChildExitListener} asks.
 */
final class Children implements ChildExitListener {
    static final Posix POSIX = Posix.load();
    private static final Children INSTANCE = new Children();

    static {
        POSIX.reaper().start(INSTANCE);
    }

    private final Object lock = new Object();
    private final Map<Integer, CompletableFuture<ExitStatus>> running = new HashMap<>();
    private final List<Integer> unclaimed = new ArrayList<>();

    private Children() {}

    /** Spawns and registers the pid before the reaper can report it. */
    static int spawn(SpawnRequest request) throws SpawnException {
        synchronized (INSTANCE.lock) {
            int pid = POSIX.spawner().spawn(request);
            INSTANCE.running.put(pid, new CompletableFuture<>());
            return pid;
        }
    }

    static int spawn(String... argv) throws SpawnException {
        return spawn(SpawnRequest.of(argv[0], List.of(argv)));
    }

    static ExitStatus awaitExit(int pid) throws Exception {
        CompletableFuture<ExitStatus> exit;
        synchronized (INSTANCE.lock) {
            exit = INSTANCE.running.get(pid);
        }
        if (exit == null) {
            throw new IllegalStateException("pid " + pid + " is not running or already awaited");
        }
        return exit.get(20, TimeUnit.SECONDS);
    }

    /** Runs {@code action} while holding the lock the listener needs, so no exit can be recorded meanwhile. */
    static <T> T whileHoldingExits(ThrowingSupplier<T> action) throws Exception {
        synchronized (INSTANCE.lock) {
            return action.get();
        }
    }

    /** Registers a pid spawned inside {@link #whileHoldingExits}. */
    static void register(int pid) {
        INSTANCE.running.put(pid, new CompletableFuture<>());
    }

    static List<Integer> unclaimed() {
        synchronized (INSTANCE.lock) {
            return List.copyOf(INSTANCE.unclaimed);
        }
    }

    @Override
    public void childExited(ChildExit exit) {
        synchronized (lock) {
            exit.reap();
            CompletableFuture<ExitStatus> waiting = running.get(exit.pid());
            if (waiting == null || waiting.isDone()) {
                unclaimed.add(exit.pid());
            } else {
                waiting.complete(exit.status());
            }
        }
    }

    /** Pids of our own children that are zombies right now. */
    static List<Integer> zombies() throws IOException {
        int self = POSIX.getpid();
        List<Integer> result = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                String[] stat = ProcFs.statFields(p.resolve("stat"));
                if (stat != null && stat[0].equals("Z") && Integer.parseInt(stat[1]) == self) {
                    result.add(Integer.parseInt(p.getFileName().toString()));
                }
            }
        }
        return result;
    }

    @FunctionalInterface
    interface ThrowingSupplier<T> {
        T get() throws Exception;
    }
}
