package jinit.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import jinit.api.ExitStatus;
import jinit.api.Signal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpawnTest {
    private static final Posix POSIX = Children.POSIX;

    private static SpawnRequest sleeper(Credentials credentials, String cwd, List<Integer> passFds) {
        return new SpawnRequest("/bin/sleep", List.of("sleep", "5"), List.of("PATH=/bin"), cwd, credentials,
                SpawnRequest.DEV_NULL, SpawnRequest.DEV_NULL, SpawnRequest.DEV_NULL, passFds);
    }

    /** Kills a sleeper and checks that the reaper reports it. */
    private static void kill(int pid) throws Exception {
        POSIX.kill(pid, Signal.KILL);
        assertEquals(new ExitStatus.Signaled(Signal.KILL, false), Children.awaitExit(pid));
    }

    private static void close(FdPair... pipes) {
        for (FdPair pipe : pipes) {
            POSIX.close(pipe.readFd());
            POSIX.close(pipe.writeFd());
        }
    }

    private static Set<Integer> openFds(int pid) throws Exception {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.map(p -> Integer.parseInt(p.getFileName().toString())).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void trueExitsZero() throws Exception {
        assertEquals(new ExitStatus.Code(0), Children.awaitExit(Children.spawn("/bin/true")));
    }

    @Test
    void exitCodeIsReported() throws Exception {
        ExitStatus status = Children.awaitExit(Children.spawn("/bin/sh", "-c", "exit 7"));
        assertEquals(new ExitStatus.Code(7), status);
        assertEquals(7, status.shellStatus());
    }

    @Test
    void deathBySignalIsReported() throws Exception {
        ExitStatus status = Children.awaitExit(Children.spawn("/bin/sh", "-c", "kill -TERM $$"));
        assertEquals(new ExitStatus.Signaled(Signal.TERM, false), status);
        assertEquals(143, status.shellStatus());
    }

    @Test
    void thousandShortChildrenAreEachReportedOnceAndLeaveNoZombies() throws Exception {
        List<Integer> pids = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            pids.add(Children.spawn("/bin/true"));
        }
        for (int pid : pids) {
            assertEquals(new ExitStatus.Code(0), Children.awaitExit(pid), "pid " + pid);
        }
        List<Integer> duplicates = Children.unclaimed().stream().filter(pids::contains).toList();
        assertEquals(List.of(), duplicates, "exits reported twice or never registered");
        assertEquals(List.of(), Children.zombies());
    }

    @Test
    void anExitBeforeRegistrationIsHeldAsAZombie() throws Exception {
        int pid = Children.whileHoldingExits(() -> {
            int child = POSIX.spawner().spawn(SpawnRequest.of("/bin/true", List.of("true")));
            // The child exits at once, but its exit waits for our lock, so the pid stays a zombie.
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!ProcFs.stat(child)[0].equals("Z") && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals("Z", ProcFs.stat(child)[0]);
            Children.register(child);
            return child;
        });
        assertEquals(new ExitStatus.Code(0), Children.awaitExit(pid));
    }

    @Test
    void cwdIsApplied(@TempDir Path dir) throws Exception {
        int pid = Children.spawn(sleeper(null, dir.toString(), List.of()));
        try {
            assertEquals(dir.toRealPath(), Files.readSymbolicLink(Path.of("/proc/" + pid + "/cwd")));
        } finally {
            kill(pid);
        }
    }

    @Test
    void missingCwdFailsWithEnoent() {
        SpawnException e = assertThrows(SpawnException.class,
                () -> Children.spawn(sleeper(null, "/nonexistent-jinit-dir", List.of())));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("chdir /nonexistent-jinit-dir: No such file or directory (ENOENT)", e.getMessage());
    }

    @Test
    void missingExecutableFailsWithEnoent() {
        SpawnException e = assertThrows(SpawnException.class,
                () -> Children.spawn(SpawnRequest.of("/nope", List.of("nope"))));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("exec /nope: No such file or directory (ENOENT)", e.getMessage());
    }

    @Test
    void nonExecutableFileFailsWithEacces(@TempDir Path dir) throws Exception {
        Path script = Files.writeString(dir.resolve("script"), "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));
        SpawnException e = assertThrows(SpawnException.class,
                () -> Children.spawn(SpawnRequest.of(script.toString(), List.of("script"))));
        assertEquals(Errno.EACCES, e.errno());
        assertEquals("exec " + script + ": Permission denied (EACCES)", e.getMessage());
    }

    @Test
    void aClosedFdToPassFailsWithEbadf() throws Exception {
        FdPair pipe = POSIX.pipe();
        POSIX.close(pipe.readFd());
        POSIX.close(pipe.writeFd());
        SpawnException e = assertThrows(SpawnException.class,
                () -> Children.spawn(sleeper(null, null, List.of(pipe.readFd()))));
        assertEquals(Errno.EBADF, e.errno());
        assertTrue(e.getMessage().startsWith("spawn /bin/sleep: "), e.getMessage());
    }

    @Test
    void childHasOnlyStdio() throws Exception {
        int pid = Children.spawn(sleeper(null, null, List.of()));
        try {
            assertEquals(Set.of(0, 1, 2), openFds(pid));
            assertEquals("/dev/null", ProcFs.fdTarget(pid, 0));
        } finally {
            kill(pid);
        }
    }

    @Test
    void passedFdsBecomeThreeAndUpInOrder() throws Exception {
        FdPair a = POSIX.pipe();
        FdPair b = POSIX.pipe();
        int pid = Children.spawn(sleeper(null, null, List.of(b.readFd(), a.writeFd())));
        try {
            assertEquals(Set.of(0, 1, 2, 3, 4), openFds(pid));
            assertEquals(ProcFs.ownFdTarget(b.readFd()), ProcFs.fdTarget(pid, 3));
            assertEquals(ProcFs.ownFdTarget(a.writeFd()), ProcFs.fdTarget(pid, 4));
            assertEquals(OpenFlags.O_RDONLY, ProcFs.fdFlags(pid, 3) & 3);
            assertEquals(OpenFlags.O_WRONLY, ProcFs.fdFlags(pid, 4) & 3);
        } finally {
            kill(pid);
            close(a, b);
        }
    }

    @Test
    void fdsThatCollideWithTargetsArePassedIntact() throws Exception {
        FdPair a = POSIX.pipe();
        FdPair b = POSIX.pipe();
        // stdin comes from above while the JVM's own 0 and 2 move to 3 and 4.
        SpawnRequest request = new SpawnRequest("/bin/sleep", List.of("sleep", "5"), List.of(), null, null,
                a.readFd(), SpawnRequest.DEV_NULL, SpawnRequest.INHERIT, List.of(2, 0, b.writeFd()));
        int pid = Children.spawn(request);
        try {
            assertEquals(Set.of(0, 1, 2, 3, 4, 5), openFds(pid));
            assertEquals(ProcFs.ownFdTarget(a.readFd()), ProcFs.fdTarget(pid, 0));
            assertEquals("/dev/null", ProcFs.fdTarget(pid, 1));
            assertEquals(ProcFs.ownFdTarget(2), ProcFs.fdTarget(pid, 2));
            assertEquals(ProcFs.ownFdTarget(2), ProcFs.fdTarget(pid, 3));
            assertEquals(ProcFs.ownFdTarget(0), ProcFs.fdTarget(pid, 4));
            assertEquals(ProcFs.ownFdTarget(b.writeFd()), ProcFs.fdTarget(pid, 5));
        } finally {
            kill(pid);
            close(a, b);
        }
    }

    @Test
    void childWritesIntoAPipe() throws Exception {
        FdPair pipe = POSIX.pipe();
        int pid;
        try {
            pid = Children.spawn(new SpawnRequest("/bin/sh", List.of("sh", "-c", "echo \"hello $WHO\""),
                    List.of("WHO=pipe"), null, null,
                    SpawnRequest.DEV_NULL, pipe.writeFd(), SpawnRequest.DEV_NULL, List.of()));
        } finally {
            POSIX.close(pipe.writeFd());
        }
        StringBuilder out = new StringBuilder();
        byte[] buffer = new byte[64];
        for (int n; (n = Fds.read(pipe.readFd(), buffer)) > 0; ) {
            out.append(new String(buffer, 0, n));
        }
        POSIX.close(pipe.readFd());
        assertEquals("hello pipe\n", out.toString());
        assertEquals(new ExitStatus.Code(0), Children.awaitExit(pid));
    }

    @Test
    void environmentIsExactlyTheRequestedOne() throws Exception {
        int pid = Children.spawn(new SpawnRequest("/bin/sleep", List.of("sleep", "5"), List.of("A=1", "B=two words"),
                null, null, SpawnRequest.DEV_NULL, SpawnRequest.DEV_NULL, SpawnRequest.DEV_NULL, List.of()));
        try {
            assertEquals("sleep\0" + "5\0", ProcFs.cmdlineOnceExeced(pid, "sleep"));
            String environ = Files.readString(Path.of("/proc/" + pid + "/environ"));
            assertEquals("A=1\0B=two words\0", environ);
        } finally {
            kill(pid);
        }
    }

    @Test
    void childLeadsItsOwnSessionAndProcessGroup() throws Exception {
        int pid = Children.spawn(sleeper(null, null, List.of()));
        String[] stat = ProcFs.stat(pid);
        assertEquals(Integer.toString(pid), stat[2], "pgrp");
        assertEquals(Integer.toString(pid), stat[3], "session");
        // A negative pid signals the whole group.
        POSIX.kill(-pid, Signal.TERM);
        assertEquals(new ExitStatus.Signaled(Signal.TERM, false), Children.awaitExit(pid));
    }

    @Test
    void childStartsWithNoSignalsBlockedOrIgnored() throws Exception {
        int pid = Children.spawn(sleeper(null, null, List.of()));
        try {
            Map<String, String> status = ProcFs.status(pid);
            assertEquals("0000000000000000", status.get("SigBlk"));
            assertEquals("0000000000000000", status.get("SigIgn"));
        } finally {
            kill(pid);
        }
    }

    @Test
    void credentialsApplyToTheChildOnly() throws Exception {
        Credentials nobody = new Credentials(65534, 65534, new int[] {65534, 100});
        Map<String, String> before = ProcFs.status(Path.of("/proc/self/status"));
        int pid = Children.spawn(sleeper(nobody, null, List.of()));
        try {
            // jinit-exec keeps root's real and saved uids until just before it execs: look at sleep itself.
            ProcFs.cmdlineOnceExeced(pid, "sleep");
            Map<String, String> status = ProcFs.status(pid);
            assertEquals("65534\t65534\t65534\t65534", status.get("Uid"));
            assertEquals("65534\t65534\t65534\t65534", status.get("Gid"));
            assertEquals(Set.of("100", "65534"), Set.of(status.get("Groups").split(" ")));
        } finally {
            kill(pid);
        }
        // The spawner thread switched and switched back; no thread of this JVM may be left changed.
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                Map<String, String> status = ProcFs.status(task.resolve("status"));
                String name = status.get("Name");
                assertEquals(before.get("Uid"), status.get("Uid"), name);
                assertEquals(before.get("Gid"), status.get("Gid"), name);
                assertEquals(before.get("Groups"), status.get("Groups"), name);
            }
        }
        // And a later spawn without credentials is root again.
        int root = Children.spawn(sleeper(null, null, List.of()));
        try {
            assertEquals("0\t0\t0\t0", ProcFs.status(root).get("Uid"));
        } finally {
            kill(root);
        }
    }

    @Test
    void credentialsTheKernelRefusesAreReportedAndLeaveTheSpawnerIntact() throws Exception {
        // More than NGROUPS_MAX (65536) groups: setgroups fails before any id has changed.
        Credentials tooMany = new Credentials(65534, 65534, new int[70_000]);
        SpawnException e = assertThrows(SpawnException.class, () -> Children.spawn(sleeper(tooMany, null, List.of())));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("setgroups: Invalid argument (EINVAL)", e.getMessage());
        assertEquals(new ExitStatus.Code(0), Children.awaitExit(Children.spawn("/bin/true")));
    }

    @Test
    void spawnFromAVirtualThread() throws Exception {
        int[] pid = new int[1];
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                pid[0] = Children.spawn("/bin/true");
            } catch (SpawnException e) {
                throw new AssertionError(e);
            }
        });
        t.join();
        assertEquals(new ExitStatus.Code(0), Children.awaitExit(pid[0]));
    }
}
