package jinit.posix;

import jinit.posix.ffi.LibC;
import jnr.ffi.LastError;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * Switches the <em>calling thread's</em> real ids and groups, so that a posix_spawn with
 * POSIX_SPAWN_RESETIDS starts the child as another user without a fork.
 *
 * <p>Linux keeps credentials per thread; only glibc's wrappers broadcast a change to every thread
 * of the process. Raw system calls change just this one. The effective uid stays 0 throughout,
 * which is what lets {@link #restore} switch back.
 *
 * <p>All native memory is allocated in {@link #prepare}, before the switch: a thread that jnr
 * (or anything else) started from this thread inside the window would inherit the switched ids.
 */
final class ThreadCredentials {
    private final LibC libc;
    private final Runtime runtime;
    private final int sysSetgroups;
    private final int sysSetresgid;
    private final int sysSetresuid;

    private Pointer newGroups;
    private Pointer savedGroups;
    private int savedGroupCount;
    private int savedUid;
    private int savedGid;
    private String broken;

    ThreadCredentials(LibC libc, Runtime runtime, String arch) {
        this.libc = libc;
        this.runtime = runtime;
        switch (arch) {
            case "amd64", "x86_64" -> {
                sysSetgroups = 116;
                sysSetresgid = 119;
                sysSetresuid = 117;
            }
            case "aarch64", "arm64" -> {
                sysSetgroups = 159;
                sysSetresgid = 149;
                sysSetresuid = 147;
            }
            default -> {
                // Spawning as root still works; only switching ids needs the numbers.
                sysSetgroups = -1;
                sysSetresgid = -1;
                sysSetresuid = -1;
            }
        }
        newGroups = Memory.allocateDirect(runtime, 64 * Integer.BYTES, true);
        savedGroups = Memory.allocateDirect(runtime, 64 * Integer.BYTES, true);
    }

    /** Allocates and fills every buffer {@link #switchTo} and {@link #restore} need. */
    void prepare(Credentials target) throws SpawnException {
        if (sysSetgroups < 0) {
            throw new SpawnException(Errno.EINVAL, "setgroups: no syscall numbers for os.arch "
                    + System.getProperty("os.arch"));
        }
        newGroups = ensureCapacity(newGroups, target.groupCount());
        for (int i = 0; i < target.groupCount(); i++) {
            newGroups.putInt((long) i * Integer.BYTES, target.group(i));
        }
        int count = libc.getgroups(0, 0);
        savedGroups = ensureCapacity(savedGroups, count);
        savedGroupCount = libc.getgroups(count, savedGroups.address());
        if (savedGroupCount < 0) {
            throw failure("getgroups", LastError.getLastError(runtime));
        }
        savedUid = libc.getuid();
        savedGid = libc.getgid();
    }

    /** Switches this thread; on failure, whatever was already switched is restored. */
    void switchTo(Credentials target) throws SpawnException {
        if (libc.syscall(sysSetgroups, target.groupCount(), newGroups.address(), 0) != 0) {
            throw failure("setgroups", LastError.getLastError(runtime));
        }
        if (libc.syscall(sysSetresgid, target.gid(), -1, -1) != 0) {
            int errno = LastError.getLastError(runtime);
            restore();
            throw failure("setresgid " + target.gid(), errno);
        }
        if (libc.syscall(sysSetresuid, target.uid(), -1, -1) != 0) {
            int errno = LastError.getLastError(runtime);
            restore();
            throw failure("setresuid " + target.uid(), errno);
        }
    }

    /**
     * Puts back the ids saved by {@link #prepare}. A failure here would leave this thread starting
     * every later child with the wrong ids, so from then on {@link #requireIntact} refuses.
     */
    void restore() {
        boolean ok = libc.syscall(sysSetresuid, savedUid, -1, -1) == 0
                & libc.syscall(sysSetresgid, savedGid, -1, -1) == 0
                & libc.syscall(sysSetgroups, savedGroupCount, savedGroups.address(), 0) == 0;
        if (!ok) {
            broken = "could not restore the spawner thread's ids (" + Errno.name(LastError.getLastError(runtime))
                    + "); refusing all further spawns";
            System.err.println("jinit-spawner: " + broken);
            requireIntact();
        }
    }

    /** Throws if an earlier {@link #restore} failed. */
    void requireIntact() {
        if (broken != null) {
            throw new IllegalStateException(broken);
        }
    }

    private Pointer ensureCapacity(Pointer buffer, int groups) {
        long needed = (long) groups * Integer.BYTES;
        return buffer.size() >= needed ? buffer : Memory.allocateDirect(runtime, needed * 2, true);
    }

    private SpawnException failure(String call, int errno) {
        return new SpawnException(errno, Errno.message(call, null, libc.strerror(errno), errno));
    }
}
