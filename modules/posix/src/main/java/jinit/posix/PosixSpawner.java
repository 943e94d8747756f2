package jinit.posix;

import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.LockSupport;
import jinit.posix.ffi.LibC;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * Runs every posix_spawn on one dedicated platform thread, "jinit-spawner".
 *
 * <p>One thread because switching ids for {@link Credentials} is per thread (see
 * {@link ThreadCredentials}), and because its native buffers can then be reused without locking.
 * Callers hand over a request and park until the spawner unparks them.
 */
final class PosixSpawner implements Spawner {
    private static final short POSIX_SPAWN_RESETIDS = 0x01;
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final short POSIX_SPAWN_SETSID = 0x80;
    private static final int SIGKILL = 9;
    private static final int SIGSTOP = 19;
    private static final int SIGSET_SIZE = 128;
    private static final int O_RDWR = 2;
    private static final byte[] DEV_NULL = "/dev/null\0".getBytes(StandardCharsets.US_ASCII);

    private final LibC libc;
    private final WaitidReaper reaper;
    private final Thread thread;
    private final LinkedBlockingQueue<Call> calls = new LinkedBlockingQueue<>();

    // Owned by the spawner thread. Sizes are glibc's (x86_64 and aarch64 alike) with room to spare.
    private final Runtime runtime;
    private final Pointer fileActions;
    private final Pointer attr;
    private final Pointer pidOut;
    private final Pointer devNull;
    private final ThreadCredentials credentials;
    private final ArgumentBlock arguments;

    PosixSpawner(LibC libc, Runtime runtime, WaitidReaper reaper) {
        this.libc = libc;
        this.runtime = runtime;
        this.reaper = reaper;
        this.fileActions = Memory.allocateDirect(runtime, 256, true);
        this.attr = Memory.allocateDirect(runtime, 512, true);
        this.pidOut = Memory.allocateDirect(runtime, 8, true);
        this.devNull = Memory.allocateDirect(runtime, DEV_NULL.length, true);
        devNull.put(0, DEV_NULL, 0, DEV_NULL.length);
        this.credentials = new ThreadCredentials(libc, runtime, System.getProperty("os.arch"));
        this.arguments = new ArgumentBlock(runtime);
        initAttributes();
        this.thread = Thread.ofPlatform().name("jinit-spawner").daemon(true).start(this::serve);
    }

    /** Signal mask and dispositions are the same for every child, so they are set once. */
    private void initAttributes() {
        Pointer emptyMask = Memory.allocateDirect(runtime, SIGSET_SIZE, true);
        Pointer defaults = Memory.allocateDirect(runtime, SIGSET_SIZE, true);
        // Bit (sig - 1) of the first word; written directly because glibc's sigaddset refuses its
        // internal signals 32 and 33, which the child would otherwise keep ignored across exec.
        defaults.putLong(0, ~(1L << (SIGKILL - 1) | 1L << (SIGSTOP - 1)));
        libc.posix_spawnattr_init(attr.address());
        // The JVM blocks signals such as SIGQUIT on its threads; a child must not inherit that.
        libc.posix_spawnattr_setsigmask(attr.address(), emptyMask.address());
        libc.posix_spawnattr_setsigdefault(attr.address(), defaults.address());
        // glibc copied both sets; until here the memory must not be freed.
        Reference.reachabilityFence(emptyMask);
        Reference.reachabilityFence(defaults);
    }

    @Override
    public int spawn(SpawnRequest request) throws SpawnException {
        Call call = new Call(request, Thread.currentThread());
        calls.add(call);
        boolean interrupted = false;
        while (!call.done) {
            LockSupport.park(this);
            interrupted |= Thread.interrupted();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (call.failure instanceof SpawnException e) {
            throw e;
        } else if (call.failure instanceof RuntimeException e) {
            throw e;
        } else if (call.failure != null) {
            throw new IllegalStateException("spawner failed", call.failure);
        }
        return call.pid;
    }

    private void serve() {
        while (true) {
            Call call;
            try {
                call = calls.take();
            } catch (InterruptedException e) {
                continue; // nobody may stop the spawner: callers would wait forever
            }
            try {
                call.pid = spawnHere(call.request);
            } catch (Throwable t) {
                call.failure = t;
            } finally {
                call.done = true;
                LockSupport.unpark(call.caller);
            }
        }
    }

    private int spawnHere(SpawnRequest request) throws SpawnException {
        credentials.requireIntact();
        Credentials ids = request.credentials();
        long path = arguments.fill(request);
        FdPlan plan = FdPlan.of(request.stdin(), request.stdout(), request.stderr(), request.passFds());
        short flags = POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
        if (ids != null) {
            credentials.prepare(ids);
            flags |= POSIX_SPAWN_RESETIDS;
        }
        libc.posix_spawnattr_setflags(attr.address(), flags);

        long actions = fileActions.address();
        int err = libc.posix_spawn_file_actions_init(actions);
        if (err != 0) {
            throw failure("spawn", request.path(), err);
        }
        try {
            err = addFileActions(actions, plan, request.cwd() == null ? 0 : arguments.cwd());
            if (err != 0) {
                throw failure("spawn", request.path(), err);
            }
            if (ids != null) {
                credentials.switchTo(ids);
                try {
                    err = callPosixSpawn(path);
                } finally {
                    credentials.restore();
                }
            } else {
                err = callPosixSpawn(path);
            }
        } finally {
            libc.posix_spawn_file_actions_destroy(actions);
        }
        if (err != 0) {
            throw spawnFailure(request, err);
        }
        int pid = pidOut.getInt(0);
        reaper.childrenMayExist();
        return pid;
    }

    private int callPosixSpawn(long path) {
        return libc.posix_spawn(pidOut, path, fileActions, attr, arguments.argv(), arguments.envp());
    }

    private int addFileActions(long actions, FdPlan plan, long cwd) {
        for (FdPlan.Action action : plan.actions()) {
            int err = switch (action) {
                case FdPlan.Dup2(int from, int to) -> libc.posix_spawn_file_actions_adddup2(actions, from, to);
                case FdPlan.OpenDevNull(int to) ->
                    libc.posix_spawn_file_actions_addopen(actions, to, devNull.address(), O_RDWR, 0);
            };
            if (err != 0) {
                return err;
            }
        }
        if (cwd != 0) {
            int err = libc.posix_spawn_file_actions_addchdir_np(actions, cwd);
            if (err != 0) {
                return err;
            }
        }
        // Without this the child inherits every fd the JVM opened without O_CLOEXEC, lib/modules included.
        return libc.posix_spawn_file_actions_addclosefrom_np(actions, plan.closeFrom());
    }

    /** posix_spawn cannot say which step failed; a missing cwd is the one case worth telling apart. */
    private SpawnException spawnFailure(SpawnRequest request, int err) {
        String cwd = request.cwd();
        if ((err == Errno.ENOENT || err == Errno.ENOTDIR) && cwd != null && !Files.isDirectory(Path.of(cwd))) {
            return failure("chdir", cwd, err);
        }
        return switch (err) {
            case Errno.EBADF, Errno.EMFILE, Errno.EAGAIN, Errno.ENOMEM -> failure("spawn", request.path(), err);
            default -> failure("exec", request.path(), err);
        };
    }

    private SpawnException failure(String step, String subject, int err) {
        return new SpawnException(err, Errno.message(step, subject, libc.strerror(err), err));
    }

    /** A request in flight between a caller and the spawner thread. */
    private static final class Call {
        final SpawnRequest request;
        final Thread caller;
        int pid;
        Throwable failure;
        volatile boolean done;

        Call(SpawnRequest request, Thread caller) {
            this.request = request;
            this.caller = caller;
        }
    }

    /**
     * argv, envp, path and cwd as C strings and NULL-terminated pointer arrays, in one native buffer
     * that is reused and grown as needed. Strings are staged in a Java array so each spawn copies
     * to native memory twice, not once per string.
     */
    private static final class ArgumentBlock {
        private final Runtime runtime;
        private Pointer buffer;
        private byte[] bytes = new byte[16 * 1024];
        private long[] pointers = new long[256];
        private long argv;
        private long envp;
        private long cwd;

        ArgumentBlock(Runtime runtime) {
            this.runtime = runtime;
            this.buffer = Memory.allocateDirect(runtime, 64 * 1024, false);
        }

        /** Lays out the request's strings; returns the address of the path. */
        long fill(SpawnRequest request) {
            List<String> args = request.argv();
            List<String> env = request.envp();
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
            used = append(used, request.path());
            int cwdAt = used;
            if (request.cwd() != null) {
                used = append(used, request.cwd());
            }

            long needed = stringsAt + used;
            if (buffer.size() < needed) {
                buffer = Memory.allocateDirect(runtime, needed * 2, false);
            }
            long base = buffer.address();
            for (int i = 0; i < pointerCount; i++) {
                pointers[i] = offsets[i] < 0 ? 0 : base + stringsAt + offsets[i];
            }
            buffer.put(0, pointers, 0, pointerCount);
            buffer.put(stringsAt, bytes, 0, used);
            argv = base;
            envp = base + (long) (args.size() + 1) * Long.BYTES;
            cwd = base + stringsAt + cwdAt;
            return base + stringsAt + pathAt;
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
