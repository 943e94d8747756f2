package jinit.posix;

import com.kenai.jffi.MemoryIO;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.LockSupport;
import jinit.api.Signal;

/**
 * Runs every posix_spawn on one dedicated platform thread, "jinit-spawner", whose native buffers are then
 * reused without locking. Callers hand over a task and park until the spawner unparks them.
 *
 * <p>The JVM never takes another user's ids, not even on one thread: the kernel lets a user signal any
 * thread whose real or saved uid is its own, and a SIGSEGV sent to PID 1 panics the kernel. A job that runs
 * as someone else execs the jinit-exec helper first ({@code src/main/c/jinit-exec.c}), which drops root's
 * ids in the child, changes directory and searches PATH with the job's ids, and reports back on a pipe
 * before it execs the program, so a start that cannot work still fails here, at once, with its reason.
 *
 * <p>The one credential this thread ever changes is its fsuid, for the length of one socket(2) call in
 * {@link #listenAs}: the kernel makes a socket's owner the creating thread's fsuid, and the fsuid takes no
 * part in the kernel's checks of who may signal or trace a thread.
 */
final class PosixSpawner implements Spawner {
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final short POSIX_SPAWN_SETSID = 0x80;
    /** glibc 2.41's flag for posix_spawnattr_setcgroup_np's cgroup. */
    private static final short POSIX_SPAWN_SETCGROUP = 0x100;
    private static final int SIGSET_SIZE = 128;
    private static final byte[] DEV_NULL = "/dev/null\0".getBytes(StandardCharsets.US_ASCII);
    private static final MemoryIO MEMORY = LibC.memory();
    private static final short POLLIN = 0x1;
    /**
     * How long jinit-exec may take to drop ids, chdir and search PATH. Microseconds normally; a stat on a
     * hung network or FUSE mount could take forever, and the supervisor's lock is held meanwhile.
     */
    static final int REPORT_TIMEOUT_MS = 5_000;
    /** At most 11 bytes a gid with its comma: 10,000 stay well inside one argument's 128 KiB. */
    private static final int GROUPS_PER_ARGUMENT = 10_000;

    private final Posix posix;
    private final WaitidReaper reaper;
    private final LinkedBlockingQueue<Call<?>> calls = new LinkedBlockingQueue<>();

    // Native memory owned by the spawner thread, kept as long as the JVM runs (so is the spawner).
    // Sizes are glibc's (x86_64 and aarch64 alike) with room to spare.
    private final long fileActions;
    private final long attr;
    private final long pidOut;
    private final long devNull;
    private final long pollFd;
    private final long report;
    private final ArgumentBlock arguments;
    private Path helper;
    private String broken;

    PosixSpawner(Posix posix, WaitidReaper reaper) {
        this.posix = posix;
        this.reaper = reaper;
        this.fileActions = LibC.allocate(256, true);
        this.attr = LibC.allocate(512, true);
        this.pidOut = LibC.allocate(8, true);
        this.devNull = LibC.allocate(DEV_NULL.length, true);
        MEMORY.putByteArray(devNull, DEV_NULL, 0, DEV_NULL.length);
        this.pollFd = LibC.allocate(8, true);
        this.report = LibC.allocate(HelperReport.SIZE, true);
        this.arguments = new ArgumentBlock();
        initAttributes();
        Thread.ofPlatform().name("jinit-spawner").daemon(true).start(this::serve);
    }

    /** Signal mask and dispositions are the same for every child, so they are set once. */
    private void initAttributes() {
        long emptyMask = LibC.allocate(SIGSET_SIZE, true);
        long defaults = LibC.allocate(SIGSET_SIZE, true);
        try {
            // Bit (sig - 1) of the first word; written directly because glibc's sigaddset refuses its
            // internal signals 32 and 33, which the child would otherwise keep ignored across exec.
            MEMORY.putLong(defaults, ~(1L << (Signal.KILL - 1) | 1L << (Signal.STOP - 1)));
            LibC.posix_spawnattr_init(attr);
            // The JVM blocks signals such as SIGQUIT on its threads; a child must not inherit that.
            LibC.posix_spawnattr_setsigmask(attr, emptyMask);
            LibC.posix_spawnattr_setsigdefault(attr, defaults);
        } finally {
            // glibc copied both sets.
            LibC.free(emptyMask);
            LibC.free(defaults);
        }
    }

    @Override
    public int spawn(SpawnRequest request) throws SpawnException {
        return onSpawnerThread(() -> spawnHere(request, null));
    }

    @Override
    public int spawn(SpawnRequest request, Path cgroup) throws SpawnException {
        return onSpawnerThread(() -> spawnHere(request, cgroup));
    }

    /**
     * {@link Posix#listenAs}'s socket for {@code uid} and {@code gid}, which own it: the kernel's
     * sock_diag and /proc/net/tcp name that uid, so a job handed it can never make it speak for root.
     */
    int listenAs(ListenAddress address, int uid, int gid) throws PosixException {
        return onSpawnerThread(() -> {
            requireIntact();
            int fd;
            LibC.setfsgid(gid);
            LibC.setfsuid(uid);
            try {
                // setfsuid reports nothing but the old value; asking with an invalid id reads the current one.
                if (LibC.setfsuid(-1) != uid || LibC.setfsgid(-1) != gid) {
                    throw new PosixException(Errno.EPERM, Errno.message("listen", address.toString(),
                            "could not take the owner's fsuid " + uid + " and fsgid " + gid, Errno.EPERM));
                }
                fd = LibC.socket(address.family(), address.socketType() | SocketConstants.SOCK_CLOEXEC, 0);
            } finally {
                restoreFsIds();
            }
            if (fd < 0) throw posix.listenFailure(address, LibC.errno());
            return posix.bindAndListen(fd, address);
        });
    }

    private void restoreFsIds() {
        LibC.setfsuid(0);
        LibC.setfsgid(0);
        if (LibC.setfsuid(-1) != 0 || LibC.setfsgid(-1) != 0) {
            // Every later socket and file this thread made would belong to someone else.
            broken = "could not restore the spawner thread's fsuid; refusing all further spawns";
            System.err.println("jinit-spawner: " + broken);
        }
    }

    private void requireIntact() {
        if (broken != null) throw new IllegalStateException(broken);
    }

    /** Runs {@code task} on the spawner thread and waits for it, as the callers of this class need. */
    private <T, E extends Exception> T onSpawnerThread(Task<T, E> task) throws E {
        Call<T> call = new Call<>(task, Thread.currentThread());
        calls.add(call);
        boolean interrupted = false;
        while (!call.done) {
            LockSupport.park(this);
            interrupted |= Thread.interrupted();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        switch (call.failure) {
            case null -> { return call.result; }
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> {
                @SuppressWarnings("unchecked") // only the task's own checked exception can be here
                E checked = (E) call.failure;
                throw checked;
            }
        }
    }

    private void serve() {
        while (true) {
            Call<?> call;
            try {
                call = calls.take();
            } catch (InterruptedException e) {
                continue; // nobody may stop the spawner: callers would wait forever
            }
            call.run();
        }
    }

    /**
     * Straight to the program when it can: a root job with no fds to announce, outside a cgroup or with glibc's
     * CLONE_INTO_CGROUP at hand. Otherwise through jinit-exec, which also joins the cgroup on older glibc.
     */
    private int spawnHere(SpawnRequest request, Path cgroup) throws SpawnException {
        requireIntact();
        boolean direct = !request.throughHelper() && (cgroup == null || LibC.hasSpawnCgroup());
        return direct ? spawnDirectly(request, cgroup) : spawnThroughHelper(request, cgroup);
    }

    /** A root job: searched as root here, started with posix_spawn's own chdir (and its cgroup, when given). */
    private int spawnDirectly(SpawnRequest request, Path cgroup) throws SpawnException {
        String path = request.searchPath() == null ? request.path()
                : ProgramSearch.resolve(request.path(), request.cwd(), request.searchPath());
        arguments.fill(path, request.argv(), request.envp(), request.cwd());
        FdPlan plan = FdPlan.of(request.stdin(), request.stdout(), request.stderr(), request.passFds());
        int cgroupFd = -1;
        if (cgroup != null) {
            // O_RDONLY opens a directory too; O_DIRECTORY's value differs between x86_64 and aarch64.
            cgroupFd = LibC.open(cgroup.toString(), OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC, 0);
            if (cgroupFd < 0) throw failure("open cgroup", cgroup.toString(), LibC.errno());
        }
        int err;
        try {
            err = spawn(plan, request.cwd() == null ? 0 : arguments.cwd(), cgroupFd);
        } finally {
            if (cgroupFd >= 0) LibC.close(cgroupFd);
        }
        if (err != 0) {
            throw spawnFailure(request, path, err);
        }
        return startedPid();
    }

    /**
     * A job that drops root's ids or needs its own pid: jinit-exec runs first, in the child, and reports on a
     * pipe whether the ids, the directory and the program were all right. The pipe's write end becomes the
     * child's first fd after the passed ones, and jinit-exec marks it close-on-exec, so the job never sees it.
     */
    private int spawnThroughHelper(SpawnRequest request, Path cgroup) throws SpawnException {
        Path helperPath = helper();
        FdPair pipe;
        try {
            pipe = posix.pipe();
        } catch (PosixException e) {
            throw new SpawnException(e.errno(), e.getMessage());
        }
        int reportFd = 3 + request.passFds().size();
        int pid;
        try {
            arguments.fill(helperPath.toString(), helperArgv(request, reportFd, cgroup), request.envp(), null);
            // The report pipe is planned as one more passed fd, so no other dup2 can overwrite it first.
            List<Integer> passFds = new ArrayList<>(request.passFds());
            passFds.add(pipe.writeFd());
            FdPlan plan = FdPlan.of(request.stdin(), request.stdout(), request.stderr(), passFds);
            int err = spawn(plan, 0, -1);
            if (err != 0) {
                throw failure("exec", helperPath.toString(), err);
            }
            pid = startedPid();
        } finally {
            LibC.close(pipe.writeFd());
        }
        try {
            HelperReport outcome = awaitReport(pipe.readFd());
            if (outcome == null) {
                LibC.kill(pid, Signal.KILL); // reaped as an orphan; the job never started
                throw new SpawnException(Errno.ETIMEDOUT, "jinit-exec did not report within " + REPORT_TIMEOUT_MS
                        + " ms (a hung filesystem on the way to " + request.path() + "?); it was killed");
            }
            outcome.throwIfFailed(request);
            return pid;
        } finally {
            LibC.close(pipe.readFd());
        }
    }

    /** jinit-exec's options: see its source for what each does. */
    private static List<String> helperArgv(SpawnRequest request, int reportFd, Path cgroup) {
        List<String> argv = new ArrayList<>(request.argv().size() + 16);
        argv.add("jinit-exec");
        if (cgroup != null) argv.addAll(List.of("-c", cgroup.toString()));
        Credentials ids = request.credentials();
        if (ids != null) {
            argv.addAll(List.of("-u", Integer.toString(ids.uid()), "-g", Integer.toString(ids.gid())));
            int[] gids = ids.supplementaryGroups();
            // One argument holds at most 128 KiB, so a long list goes in several -G.
            for (int from = 0; from == 0 || from < gids.length; from += GROUPS_PER_ARGUMENT) {
                StringBuilder groups = new StringBuilder();
                for (int i = from; i < Math.min(gids.length, from + GROUPS_PER_ARGUMENT); i++) {
                    if (!groups.isEmpty()) groups.append(',');
                    groups.append(gids[i]);
                }
                argv.addAll(List.of("-G", groups.toString()));
            }
        }
        if (request.cwd() != null) argv.addAll(List.of("-d", request.cwd()));
        if (request.searchPath() != null) argv.addAll(List.of("-p", request.searchPath()));
        if (!request.fdNames().isEmpty()) argv.add("-l");
        if (request.watchdogPid()) argv.add("-w");
        argv.addAll(List.of("-r", Integer.toString(reportFd), "--", request.path()));
        argv.addAll(request.argv());
        return argv;
    }

    /** The helper's 8-byte report, or null if it did not come in time; a helper that died reports EOF. */
    private HelperReport awaitReport(int fd) throws SpawnException {
        MEMORY.putInt(pollFd, fd);
        MEMORY.putShort(pollFd + 4, POLLIN);
        long deadline = System.nanoTime() + REPORT_TIMEOUT_MS * 1_000_000L;
        int got = 0;
        while (got < HelperReport.SIZE) {
            int left = (int) Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
            int ready = LibC.poll(pollFd, 1, left);
            if (ready < 0 && LibC.errno() == Errno.EINTR) continue;
            if (ready <= 0) return ready == 0 ? null : HelperReport.lost("poll", LibC.errno());
            long n = LibC.read(fd, report + got, HelperReport.SIZE - got);
            if (n < 0 && LibC.errno() == Errno.EINTR) continue;
            if (n <= 0) return HelperReport.lost(n == 0 ? "end of file" : "read", n == 0 ? Errno.EIO : LibC.errno());
            got += (int) n;
        }
        return new HelperReport(MEMORY.getInt(report), MEMORY.getInt(report + 4));
    }

    private Path helper() throws SpawnException {
        if (helper == null) helper = Posix.execHelper();
        return helper;
    }

    private int startedPid() {
        int pid = MEMORY.getInt(pidOut);
        reaper.childrenMayExist();
        return pid;
    }

    /**
     * posix_spawn with this plan, in {@code cwd} (an address; 0 keeps the JVM's), in the cgroup directory open as
     * {@code cgroupFd} (-1: the JVM's own).
     */
    private int spawn(FdPlan plan, long cwd, int cgroupFd) {
        short flags = (short) (POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        if (cgroupFd >= 0) {
            int err = LibC.posix_spawnattr_setcgroup_np(attr, cgroupFd);
            if (err != 0) return err;
            flags |= POSIX_SPAWN_SETCGROUP;
        }
        LibC.posix_spawnattr_setflags(attr, flags);
        int err = LibC.posix_spawn_file_actions_init(fileActions);
        if (err != 0) {
            return err;
        }
        try {
            err = addFileActions(fileActions, plan, cwd);
            if (err != 0) {
                return err;
            }
            return LibC.posix_spawn(pidOut, arguments.path(), fileActions, attr, arguments.argv(), arguments.envp());
        } finally {
            LibC.posix_spawn_file_actions_destroy(fileActions);
        }
    }

    private int addFileActions(long actions, FdPlan plan, long cwd) {
        for (FdPlan.Action action : plan.actions()) {
            int err = switch (action) {
                case FdPlan.Dup2(int from, int to) -> LibC.posix_spawn_file_actions_adddup2(actions, from, to);
                case FdPlan.OpenDevNull(int to) ->
                    LibC.posix_spawn_file_actions_addopen(actions, to, devNull, OpenFlags.O_RDWR, 0);
            };
            if (err != 0) {
                return err;
            }
        }
        if (cwd != 0) {
            int err = LibC.posix_spawn_file_actions_addchdir_np(actions, cwd);
            if (err != 0) {
                return err;
            }
        }
        // Without this the child inherits every fd the JVM opened without O_CLOEXEC, lib/modules included.
        return LibC.posix_spawn_file_actions_addclosefrom_np(actions, plan.closeFrom());
    }

    /** posix_spawn cannot say which step failed; a missing cwd is the one case worth telling apart. */
    private SpawnException spawnFailure(SpawnRequest request, String path, int err) {
        String cwd = request.cwd();
        if ((err == Errno.ENOENT || err == Errno.ENOTDIR) && cwd != null && !Files.isDirectory(Path.of(cwd))) {
            return failure("chdir", cwd, err);
        }
        return switch (err) {
            case Errno.EBADF, Errno.EMFILE, Errno.EAGAIN, Errno.ENOMEM -> failure("spawn", path, err);
            default -> failure("exec", path, err);
        };
    }

    private SpawnException failure(String step, String subject, int err) {
        return new SpawnException(err, Errno.message(step, subject, LibC.strerror(err), err));
    }

    /** Work for the spawner thread, with the one checked exception it may throw. */
    @FunctionalInterface
    private interface Task<T, E extends Exception> {
        T run() throws E;
    }

    /** A task in flight between a caller and the spawner thread. */
    private static final class Call<T> {
        final Task<T, ?> task;
        final Thread caller;
        T result;
        Throwable failure;
        volatile boolean done;

        Call(Task<T, ?> task, Thread caller) {
            this.task = task;
            this.caller = caller;
        }

        void run() {
            try {
                result = task.run();
            } catch (Throwable t) {
                failure = t;
            } finally {
                done = true;
                LockSupport.unpark(caller);
            }
        }
    }

    /**
     * argv, envp, path and cwd as C strings and NULL-terminated pointer arrays, in one native buffer
     * that is reused and grown as needed. Strings are staged in a Java array so each spawn copies
     * to native memory twice, not once per string.
     */
    private static final class ArgumentBlock {
        private long buffer;
        private long bufferSize;
        private byte[] bytes = new byte[16 * 1024];
        private long[] pointers = new long[256];
        private long argv;
        private long envp;
        private long cwd;
        private long path;

        ArgumentBlock() {
            this.bufferSize = 64 * 1024;
            this.buffer = LibC.allocate(bufferSize, false);
        }

        /** Lays out the strings of one spawn; {@link #path()} and the others then point at them. */
        void fill(String program, List<String> args, List<String> env, String directory) {
            int pointerCount = args.size() + 1 + env.size() + 1;
            if (pointers.length < pointerCount) {
                pointers = new long[pointerCount * 2];
            }
            long stringsAt = (long) pointerCount * Long.BYTES;
            int used = 0;
            int[] offsets = new int[pointerCount];
            int p = 0;
            for (String arg : args) {
                offsets[p++] = used;
                used = append(used, arg);
            }
            offsets[p++] = -1;
            for (String var : env) {
                offsets[p++] = used;
                used = append(used, var);
            }
            offsets[p] = -1;
            int pathAt = used;
            used = append(used, program);
            int cwdAt = used;
            if (directory != null) {
                used = append(used, directory);
            }

            long needed = stringsAt + used;
            if (bufferSize < needed) {
                long grown = LibC.allocate(needed * 2, false);
                LibC.free(buffer);
                buffer = grown;
                bufferSize = needed * 2;
            }
            long base = buffer;
            for (int i = 0; i < pointerCount; i++) {
                pointers[i] = offsets[i] < 0 ? 0 : base + stringsAt + offsets[i];
            }
            MEMORY.putLongArray(base, pointers, 0, pointerCount);
            MEMORY.putByteArray(base + stringsAt, bytes, 0, used);
            argv = base;
            envp = base + (long) (args.size() + 1) * Long.BYTES;
            cwd = base + stringsAt + cwdAt;
            path = base + stringsAt + pathAt;
        }

        long path() {
            return path;
        }

        long argv() {
            return argv;
        }

        long envp() {
            return envp;
        }

        long cwd() {
            return cwd;
        }

        private int append(int at, String s) {
            byte[] encoded = s.getBytes(StandardCharsets.UTF_8);
            int end = at + encoded.length + 1;
            if (end > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(end, bytes.length * 2));
            }
            System.arraycopy(encoded, 0, bytes, at, encoded.length);
            bytes[end - 1] = 0;
            return end;
        }
    }
}
