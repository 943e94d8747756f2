package jinit.posix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import jinit.api.JobId;
import jinit.api.Limits;
import jinit.api.Signal;
import jinit.api.Usage;

/**
 * The jobs' cgroups (cgroup v2): {@code ROOT/jobs/ID.job}, one leaf per job, with the memory, pids and cpu
 * controllers enabled where the kernel has them. Only ever root-owned: the directories and control files are
 * made by init (mode 0755 and 0644, the kernel's), and no delegation is handed out, so a job's user can neither
 * raise its own limits nor move itself out (moving needs write access to both cgroups' cgroup.procs).
 *
 * <p>cgroup v2 lets a cgroup hold processes or enable controllers for its children, never both (except the root).
 * So init stays in ROOT (the hierarchy's own root as PID 1) or moves itself to {@code ROOT/init} (a delegated
 * subtree it lives in), and jobs sit in leaves under {@code ROOT/jobs}. A job id starts with a letter or digit
 * and holds no slash, so it is never {@code .} or {@code ..}; the {@code .job} suffix keeps it off the names of
 * the interface files beside it ({@code cgroup.procs}, {@code memory.max}, …).
 */
public final class Cgroups {
    /** Where PID 1 mounts cgroup2, as systemd does. */
    public static final Path MOUNT_POINT = Path.of("/sys/fs/cgroup");
    /** What a job's limits need; io is left out: a board's storage rarely has a controller worth it. */
    static final List<String> CONTROLLERS = List.of("memory", "pids", "cpu");
    /** cpu.weight when the spec sets none: the kernel's default. */
    static final int DEFAULT_CPU_WEIGHT = 100;
    /** How often {@link #kill} goes over cgroup.procs without cgroup.kill: a forking job may add pids meanwhile. */
    private static final int KILL_PASSES = 16;
    /** How long {@link #remove} waits for a killed cgroup to empty before rmdir. */
    private static final long EMPTY_WAIT_MS = 1_000;

    private final Path jobs;
    private final Set<String> controllers;
    private final Posix posix;

    Cgroups(Path jobs, Set<String> controllers, Posix posix) {
        this.jobs = jobs;
        this.controllers = Set.copyOf(controllers);
        this.posix = posix;
    }

    /**
     * Sets up {@code root} (a cgroup2 directory: the mount point as PID 1, or a subtree delegated to init) for jobs:
     * moves init out of it when it lives there, enables the controllers for {@code root/jobs} and makes that.
     *
     * @throws IOException when {@code root} is no usable cgroup2 directory; the message says why
     */
    public static Cgroups open(Path root, Posix posix, Consumer<String> log) throws IOException {
        if (!Files.isRegularFile(root.resolve("cgroup.controllers"))) {
            throw new IOException(root + " is not a cgroup2 directory (no cgroup.controllers)");
        }
        String self = Integer.toString(posix.getpid());
        if (readLines(root.resolve("cgroup.procs")).contains(self) && posix.getpid() != 1) {
            // No internal processes: init cannot stay beside the children it enables controllers for.
            Path own = root.resolve("init");
            mkdir(own);
            write(own.resolve("cgroup.procs"), self);
        }
        Set<String> enabled = enable(root, log);
        Path jobs = root.resolve("jobs");
        mkdir(jobs);
        enabled.retainAll(enable(jobs, log));
        return new Cgroups(jobs, enabled, posix);
    }

    /** Enables each of {@link #CONTROLLERS} the directory offers for its children, one by one; returns those on. */
    private static Set<String> enable(Path directory, Consumer<String> log) throws IOException {
        Set<String> available = Set.of(Files.readString(directory.resolve("cgroup.controllers")).trim().split("\\s+"));
        for (String controller : CONTROLLERS) {
            if (!available.contains(controller)) continue;
            try {
                write(directory.resolve("cgroup.subtree_control"), "+" + controller);
            } catch (IOException e) {
                log.accept("cannot enable the " + controller + " controller in " + directory + ": " + e.getMessage());
            }
        }
        Set<String> on = new LinkedHashSet<>(List.of(Files.readString(directory.resolve("cgroup.subtree_control")).trim().split("\\s+")));
        on.retainAll(CONTROLLERS);
        return on;
    }

    /** The controllers jobs get: a subset of memory, pids and cpu. */
    public Set<String> controllers() {
        return controllers;
    }

    /** The job's cgroup directory. */
    public Path path(String id) {
        if (!JobId.isValid(id)) throw new IllegalArgumentException("invalid job id: " + id);
        return jobs.resolve(id + ".job");
    }

    /** Why {@code limits} cannot be held here, or null when every limit has its controller. */
    public String unsupported(Limits limits) {
        List<String> missing = new ArrayList<>();
        if (limits.memory() != null && !controllers.contains("memory")) missing.add("memory");
        if (limits.pids() != null && !controllers.contains("pids")) missing.add("pids");
        if (limits.cpuWeight() != null && !controllers.contains("cpu")) missing.add("cpu");
        return missing.isEmpty() ? null : "the cgroup controller" + (missing.size() > 1 ? "s " : " ")
                + String.join(", ", missing) + " the limits need " + (missing.size() > 1 ? "are" : "is") + " not available";
    }

    /**
     * Makes the job's cgroup (or reuses it for a restart, killing what the last run left in it) and sets every limit the controllers
     * allow, the absent ones back to the kernel's defaults, so a replaced spec's limits do not linger.
     *
     * @return the cgroup's oom_kill count now, to tell later whether the OOM killer struck during this run
     */
    public long prepare(String id, Limits limits) throws IOException {
        Path cgroup = path(id);
        mkdir(cgroup);
        // What the last run left (a daemon it started) goes before a restart, as systemd's KillMode=control-group
        // has it: otherwise each restart would add one, and they would count against the new run's limits.
        if (!readLines(cgroup.resolve("cgroup.procs")).isEmpty()) kill(id);
        if (controllers.contains("memory")) write(cgroup.resolve("memory.max"), orMax(limits.memory()));
        if (controllers.contains("pids")) write(cgroup.resolve("pids.max"), orMax(limits.pids()));
        if (controllers.contains("cpu")) {
            write(cgroup.resolve("cpu.weight"), Integer.toString(limits.cpuWeight() == null ? DEFAULT_CPU_WEIGHT : limits.cpuWeight()));
        }
        return oomKills(id);
    }

    /** The oom_kill counter of memory.events (0 without the memory controller or the cgroup). */
    public long oomKills(String id) {
        if (!controllers.contains("memory")) return 0;
        return Math.max(0, field(path(id).resolve("memory.events"), "oom_kill"));
    }

    /** memory.current, pids.current and cpu.stat's usage_usec; each -1 when unreadable (no controller, say). */
    public Usage usage(String id) {
        Path cgroup = path(id);
        long cpuUsec = field(cgroup.resolve("cpu.stat"), "usage_usec");
        return new Usage(number(cgroup.resolve("memory.current")), number(cgroup.resolve("pids.current")),
                cpuUsec < 0 ? -1 : cpuUsec / 1000);
    }

    /**
     * KILL to every process in the job's cgroup: cgroup.kill (Linux 5.14), which the kernel applies to processes
     * forked meanwhile too; on an older kernel, KILL to each pid in cgroup.procs, again until it is empty. A pid
     * read there is one the kernel still counts in the cgroup, so it has not been reused.
     *
     * @return false when the job has no cgroup (never made, or removed)
     */
    public boolean kill(String id) {
        Path cgroup = path(id);
        if (!Files.isDirectory(cgroup)) return false;
        try {
            write(cgroup.resolve("cgroup.kill"), "1");
            return true;
        } catch (IOException noCgroupKill) {
            // Linux before 5.14: one pid at a time.
        }
        for (int pass = 0; pass < KILL_PASSES; pass++) {
            List<String> pids = readLines(cgroup.resolve("cgroup.procs"));
            if (pids.isEmpty()) break;
            for (String pid : pids) {
                try {
                    posix.kill(Integer.parseInt(pid.trim()), Signal.KILL);
                } catch (PosixException | NumberFormatException e) {
                    // Gone meanwhile.
                }
            }
        }
        return true;
    }

    /**
     * Removes the job's cgroup: kills what is left in it, waits (briefly) for the kernel to empty it, and rmdirs it.
     *
     * @return null when it is gone, else why not
     */
    public String remove(String id) {
        Path cgroup = path(id);
        if (!Files.isDirectory(cgroup)) return null;
        kill(id);
        long deadline = System.nanoTime() + EMPTY_WAIT_MS * 1_000_000L;
        while (true) {
            try {
                Files.delete(cgroup);
                return null;
            } catch (NoSuchFileException e) {
                return null;
            } catch (IOException e) {
                // EBUSY until the last process is reaped (dying processes still count).
                if (System.nanoTime() > deadline) return "cannot remove " + cgroup + ": " + e.getMessage();
                try {
                    Thread.sleep(10);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return "interrupted while removing " + cgroup;
                }
            }
        }
    }

    /**
     * Removes the job's cgroup if nothing is left in it, at once or not at all (rmdir says EBUSY while a process
     * is): each cgroup costs the kernel memory, and ended jobs may stay in the table for long.
     */
    public void removeIfEmpty(String id) {
        Path cgroup = path(id);
        if (!readLines(cgroup.resolve("cgroup.procs")).isEmpty()) return;
        try {
            Files.deleteIfExists(cgroup);
        } catch (IOException e) {
            // Busy (a process came or is still leaving) or already gone: DELETE or the next start deals with it.
        }
    }

    private static String orMax(Long limit) {
        return limit == null ? "max" : Long.toString(limit);
    }

    private static void mkdir(Path directory) throws IOException {
        try {
            Files.createDirectory(directory);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(directory)) throw e;
        }
    }

    /** One write(2) of {@code value}: a control file takes what one write says, and says EINVAL and the like. */
    static void write(Path file, String value) throws IOException {
        Files.write(file, value.getBytes(StandardCharsets.US_ASCII));
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return List.of();
        }
    }

    /** A whole file holding one number ("max" reads as Long.MAX_VALUE); -1 when unreadable. */
    private static long number(Path file) {
        List<String> lines = readLines(file);
        if (lines.isEmpty()) return -1;
        String value = lines.getFirst().trim();
        if (value.equals("max")) return Long.MAX_VALUE;
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The value of "KEY VALUE" line {@code key} in a flat-keyed file such as memory.events; -1 when absent. */
    private static long field(Path file, String key) {
        for (String line : readLines(file)) {
            int space = line.indexOf(' ');
            if (space > 0 && line.regionMatches(0, key, 0, key.length()) && space == key.length()) {
                try {
                    return Long.parseLong(line.substring(space + 1).trim());
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }
}
