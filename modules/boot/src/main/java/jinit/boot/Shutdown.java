package jinit.boot;

import jinit.api.Signal;
import jinit.http.ApiServer;
import jinit.posix.MountFlags;
import jinit.posix.Posix;
import jinit.posix.PosixException;
import jinit.posix.RebootCommand;
import jinit.supervisor.Supervisor;
import jinit.watchdog.Probes;
import jinit.watchdog.Watchdog;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * The orderly end: refuse new jobs, stop jobs newest first, then everything else, reap, sync, and
 * either reboot(2) (as PID 1) or exit (elsewhere). Each step is logged so a hang shows where it is.
 */
final class Shutdown {
    /** The most any job gets between TERM and KILL during a shutdown, whatever its own stopTimeout. */
    static final long JOB_STOP_CAP_MS = 10_000;
    /** How long stray processes (orphans, daemons) get between TERM and KILL. */
    static final long STRAY_STOP_TIMEOUT_MS = 2_000;

    enum Action { HALT, POWER_OFF, REBOOT, EXIT }

    private final Posix posix;
    private final Supervisor supervisor;
    private final boolean pid1;
    private final String selfPid;
    private final AtomicBoolean started = new AtomicBoolean();
    /** How long answers in flight get before init exits (not as PID 1). */
    static final int API_DRAIN_SECONDS = 1;
    private volatile ApiServer api;
    /** Petted through the shutdown while each step keeps within its budget; left armed through reboot(2). */
    private volatile Watchdog watchdog = Watchdog.disarmed("not started yet");
    /** The watchdog's budget for step 2: every job's capped stop, the strays' twice, and 2 s to spare. */
    static final long STOP_JOBS_BUDGET_MS = JOB_STOP_CAP_MS + 2 * STRAY_STOP_TIMEOUT_MS + 2_000;
    /** For steps 3 and 4: the strays' stop, and 2 s to spare. */
    static final long STRAYS_BUDGET_MS = STRAY_STOP_TIMEOUT_MS + 2_000;
    /** For the sync: slow flash with a lot unwritten may take this long; longer is a hung device. */
    static final long SYNC_BUDGET_MS = 30_000;

    Shutdown(Posix posix, Supervisor supervisor, boolean pid1) {
        this.posix = posix;
        this.supervisor = supervisor;
        this.pid1 = pid1;
        this.selfPid = Integer.toString(posix.getpid());
    }

    /** The server whose answers in flight are let out before an exit. */
    void serving(ApiServer server) {
        this.api = server;
    }

    /** The watchdog to keep petted while the shutdown makes progress. */
    void watchedBy(Watchdog watchdog) {
        this.watchdog = watchdog;
    }

    /** Starts the shutdown on its own thread; later requests are ignored. */
    void request(Action action, int exitStatus, String reason) {
        if (!started.compareAndSet(false, true)) {
            Console.log("shutdown already in progress; ignoring " + reason);
            return;
        }
        try {
            // Not a daemon thread (it would inherit that from the reaper): the JVM must live until it is done.
            Thread.ofPlatform().name("jinit-shutdown").daemon(false).start(() -> run(action, exitStatus, reason));
        } catch (Throwable e) {
            started.set(false); // out of memory for the thread, say: a later request may still start it
            throw e;
        }
    }

    private void run(Action action, int exitStatus, String reason) {
        try {
            Console.log("shutdown (" + action.name().toLowerCase().replace('_', ' ') + ") requested by " + reason);
            watchdog.shutdownStep("1/5 refusing new jobs", Probes.LOCK_BOUND_MILLIS);
            supervisor.stopAccepting();
            Console.log("step 1/5: refusing new jobs");
            watchdog.shutdownStep("2/5 stopping jobs", STOP_JOBS_BUDGET_MS);
            Console.log("step 2/5: stopping jobs newest first (TERM, KILL after each job's stopTimeout, at most "
                    + JOB_STOP_CAP_MS + " ms)");
            supervisor.stopAll(JOB_STOP_CAP_MS);
            if (!supervisor.awaitAllEnded(JOB_STOP_CAP_MS + STRAY_STOP_TIMEOUT_MS)) {
                Console.log("jobs still running; sending KILL to what is left");
                supervisor.signalAllRunning(Signal.KILL);
                supervisor.awaitAllEnded(STRAY_STOP_TIMEOUT_MS);
            }
            if (pid1) {
                Console.log("step 3/5: TERM to every remaining process");
                watchdog.shutdownStep("3/5 stopping strays", STRAYS_BUDGET_MS);
                killAll(Signal.TERM);
                if (!awaitNoChildren(STRAY_STOP_TIMEOUT_MS)) {
                    Console.log("processes remain; sending KILL");
                    killAll(Signal.KILL);
                }
            }
            Console.log("step 4/5: reaping");
            watchdog.shutdownStep("4/5 reaping", STRAYS_BUDGET_MS);
            awaitNoChildren(STRAY_STOP_TIMEOUT_MS);
            // No job's log or event tells of them, so here is where a user sees how many there were.
            Console.log("orphans reaped since start: " + supervisor.orphansReaped() + " (adopted processes that were no job)");
            Console.log(pid1 ? "step 5/5: sync, then disks read-only" : "step 5/5: sync");
            watchdog.shutdownStep("5/5 sync", SYNC_BUDGET_MS);
            posix.sync();
            if (pid1) remountDisksReadOnly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            // An OutOfMemoryError included (a failing init stops through here too): the end must still come.
            Console.log("shutdown step failed, carrying on: " + e);
        } finally {
            finish(action, exitStatus);
        }
    }

    /** Exits or reboots; what it logs on the way may fail (out of memory) without keeping it from the end. */
    private void finish(Action action, int exitStatus) {
        watchdog.finalStep();
        if (!pid1) {
            try {
                // Answers still being written (the 204 for the signal that ended the boot job, say) go out first.
                ApiServer server = api;
                if (server != null) server.stopGracefully(API_DRAIN_SECONDS);
                Console.log("exiting with status " + exitStatus);
            } finally {
                System.exit(exitStatus);
            }
        }
        RebootCommand command = switch (action) {
            case HALT -> RebootCommand.HALT;
            case POWER_OFF, EXIT -> RebootCommand.POWER_OFF;
            case REBOOT -> RebootCommand.RESTART;
        };
        try {
            Console.log("reboot(" + command + ")");
        } finally {
            try {
                posix.reboot(command);
            } catch (PosixException e) {
                Console.log("reboot failed: " + e.getMessage() + "; staying up");
            }
        }
    }

    /**
     * Every filesystem on a block device, deepest first, read-only: a flashed root (disk.img's ext4) is then clean at
     * power-off, with no journal to replay and nothing for fsck, as systemd-shutdown leaves it. Every process but init is
     * gone by now, so only init's own open files could make the kernel answer EBUSY; that is logged and survived.
     */
    private void remountDisksReadOnly() {
        if (!machinesInit()) {
            Console.log("PID 1 of a PID namespace, not the machine's: leaving its filesystems as they are");
            return;
        }
        List<String> targets;
        try {
            targets = Files.readAllLines(Path.of("/proc/self/mounts")).stream()
                    .map(line -> line.split(" "))
                    .filter(fields -> fields.length > 3 && fields[0].startsWith("/dev/")
                            && List.of(fields[3].split(",")).contains("rw"))
                    .map(fields -> unescapeMountPath(fields[1]))
                    .sorted(Comparator.comparingInt(String::length).reversed())
                    .toList();
        } catch (IOException | RuntimeException e) {
            Console.log("cannot read /proc/self/mounts, leaving disks as they are: " + e.getMessage());
            return;
        }
        for (String target : targets) {
            try {
                posix.mount(null, target, null, MountFlags.MS_REMOUNT | MountFlags.MS_RDONLY, null);
                Console.log("remounted " + target + " read-only");
            } catch (PosixException e) {
                Console.log("could not remount " + target + " read-only: " + e.getMessage());
            }
        }
    }

    /** The kernel's fixed inode of the initial PID namespace (PROC_PID_INIT_INO). */
    private static final String INITIAL_PID_NAMESPACE = "pid:[4026531836]";

    /**
     * Whether this PID 1 is the machine's, not a container's or a test's (unshare --pid): a read-only remount acts on
     * the filesystem itself, in every mount namespace, so one in a namespace would take the host's disk away.
     */
    private static boolean machinesInit() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString().equals(INITIAL_PID_NAMESPACE);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** /proc/self/mounts writes a space, tab, newline or backslash in a path as a 3-digit octal escape. */
    static String unescapeMountPath(String field) {
        StringBuilder path = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7')) {
                path.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                path.append(c);
            }
        }
        return path.toString();
    }

    private void killAll(int signal) {
        try {
            posix.kill(-1, signal); // as PID 1: every process but init itself
        } catch (PosixException e) {
            // ESRCH: nothing left to signal.
        }
    }

    private boolean awaitNoChildren(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (childCount() > 0) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(20);
        }
        return true;
    }

    /** Children of init, zombies included, from /proc: the reaper owns waitpid, so count instead. */
    private long childCount() {
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            return entries.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .filter(p -> selfPid.equals(parentPid(p)))
                    .count();
        } catch (IOException e) {
            return 0;
        }
    }

    private static String parentPid(Path process) {
        try {
            String stat = Files.readString(process.resolve("stat"));
            // The command name may contain spaces and parentheses; fields resume after the last ')'.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return fields[1];
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
