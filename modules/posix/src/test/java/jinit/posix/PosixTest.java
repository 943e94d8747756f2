package jinit.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jinit.api.ExitStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PosixTest {
    private static final Posix POSIX = Children.POSIX;
    private static final int O_CLOEXEC_OCTAL_IN_FDINFO = 02000000;

    @Test
    void loadIsIdempotent() throws IOException {
        assertSame(POSIX, Posix.load());
        assertEquals(pidFromProc(), POSIX.getpid());
    }

    @Test
    void killReportsErrnoAndSubject() {
        // pid_max is at most 2^22, so this pid cannot exist.
        PosixException e = assertThrows(PosixException.class, () -> POSIX.kill(99_999_999, 0));
        assertEquals(3, e.errno());
        assertEquals("kill 99999999: No such process (ESRCH)", e.getMessage());
    }

    @Test
    void openAddsCloexecAndCloseCloses() throws Exception {
        int fd = POSIX.open("/dev/null", OpenFlags.O_RDONLY, 0);
        assertTrue(POSIX.isOpen(fd));
        assertTrue((ProcFs.fdFlags(POSIX.getpid(), fd) & O_CLOEXEC_OCTAL_IN_FDINFO) != 0);
        POSIX.close(fd);
        assertFalse(POSIX.isOpen(fd));
    }

    @Test
    void openCreatesAndAppends(@TempDir Path dir) throws Exception {
        String file = dir.resolve("log").toString();
        for (String line : List.of("one\n", "two\n")) {
            int fd = POSIX.open(file, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_APPEND, 0644);
            Fds.write(fd, line.getBytes());
            POSIX.close(fd);
        }
        assertEquals("one\ntwo\n", Files.readString(Path.of(file)));
    }

    @Test
    void openOfAMissingFileNamesIt() {
        PosixException e = assertThrows(PosixException.class, () -> POSIX.open("/nope/x", OpenFlags.O_RDONLY, 0));
        assertEquals("open /nope/x: No such file or directory (ENOENT)", e.getMessage());
    }

    @Test
    void dup2ReplacesAnFd() throws Exception {
        FdPair pipe = POSIX.pipe();
        int fd = POSIX.open("/dev/null", OpenFlags.O_RDONLY, 0);
        POSIX.dup2(pipe.writeFd(), fd);
        assertEquals(ProcFs.ownFdTarget(pipe.writeFd()), ProcFs.ownFdTarget(fd));
        Fds.write(fd, "hi".getBytes());
        byte[] buffer = new byte[8];
        assertEquals(2, Fds.read(pipe.readFd(), buffer));
        assertEquals("hi", new String(buffer, 0, 2));
        for (int f : new int[] {fd, pipe.readFd(), pipe.writeFd()}) {
            POSIX.close(f);
        }
    }

    @Test
    void pipeEndsAreCloseOnExec() throws Exception {
        FdPair pipe = POSIX.pipe();
        assertNotEquals(0, ProcFs.fdFlags(POSIX.getpid(), pipe.readFd()) & O_CLOEXEC_OCTAL_IN_FDINFO);
        assertNotEquals(0, ProcFs.fdFlags(POSIX.getpid(), pipe.writeFd()) & O_CLOEXEC_OCTAL_IN_FDINFO);
        POSIX.close(pipe.readFd());
        POSIX.close(pipe.writeFd());
    }

    @Test
    void getrandomFillsTheBuffer() throws Exception {
        byte[] bytes = POSIX.getrandom(64);
        assertEquals(64, bytes.length);
        int nonZero = 0;
        for (byte b : bytes) {
            nonZero += b != 0 ? 1 : 0;
        }
        assertTrue(nonZero > 0);
        assertEquals(0, POSIX.getrandom(0).length);
        assertEquals(100_000, POSIX.getrandom(100_000).length);
    }

    @Test
    void loopbackUpIsIdempotent() throws Exception {
        POSIX.interfaceUp("lo");
        POSIX.interfaceUp("lo");
        int flags = Integer.decode(Files.readString(Path.of("/sys/class/net/lo/flags")).trim());
        assertEquals(1, flags & 1, "IFF_UP");
    }

    @Test
    void interfaceUpOfAMissingInterfaceNamesIt() {
        PosixException e = assertThrows(PosixException.class, () -> POSIX.interfaceUp("nosuchif0"));
        assertEquals("ioctl SIOCGIFFLAGS nosuchif0: No such device (ENODEV)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> POSIX.interfaceUp("a-name-longer-than-15"));
    }

    @Test
    void mountReportsErrors() {
        PosixException e = assertThrows(PosixException.class,
                () -> POSIX.mount("none", "/nonexistent-jinit-mount", "tmpfs", MountFlags.MS_NOSUID, null));
        assertEquals("mount /nonexistent-jinit-mount: No such file or directory (ENOENT)", e.getMessage());
    }

    @Test
    void mountsATmpfs(@TempDir Path dir) throws Exception {
        String target = dir.toRealPath().toString();
        POSIX.mount("jinit-test", target, "tmpfs", MountFlags.MS_NOSUID | MountFlags.MS_NODEV, "size=1m");
        try {
            String line = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .filter(l -> l.split(" ")[4].equals(target))
                    .findFirst()
                    .orElseThrow();
            assertTrue(line.contains("nosuid") && line.contains("nodev") && line.contains(" tmpfs jinit-test "), line);
        } finally {
            int pid = Children.spawn("/bin/umount", target);
            assertEquals(new ExitStatus.Code(0), Children.awaitExit(pid));
        }
    }

    @Test
    void orphansOfASubreaperAreReportedAndReaped() throws Exception {
        POSIX.setChildSubreaper();
        int before = Children.unclaimed().size();
        // sh exits at once; its background sleep is reparented to us and exits unclaimed.
        int pid = Children.spawn("/bin/sh", "-c", "/bin/sleep 0.1 & exit 0");
        assertEquals(new ExitStatus.Code(0), Children.awaitExit(pid));
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (Children.unclaimed().size() == before && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(Children.unclaimed().size() > before);
        assertEquals(List.of(), Children.zombies());
    }

    @Test
    void reaperStartsOnce() {
        assertThrows(IllegalStateException.class, () -> POSIX.reaper().start(exit -> {}));
    }

    @Test
    void rebootCodesAreTheKernels() {
        assertEquals(0x4321FEDC, RebootCommand.POWER_OFF.code());
        assertEquals(0x01234567, RebootCommand.RESTART.code());
        assertEquals(0xCDEF0123, RebootCommand.HALT.code());
    }

    /** Our pid as the kernel names it, without ProcessHandle (which jinit never touches). */
    private static int pidFromProc() throws IOException {
        return Integer.parseInt(Files.readSymbolicLink(Path.of("/proc/self")).toString());
    }

    @Test
    void theOpenFileLimitIsSetSoftAndHard() throws Exception {
        String hard = limits().get(1);
        long limit = Long.parseLong(hard); // the test JVM's own hard limit: setting it changes nothing else
        POSIX.setOpenFileLimit(limit);
        assertEquals(List.of(hard, hard), limits());
    }

    /** The soft and hard "Max open files" of this process. */
    private static List<String> limits() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String[] fields = line.substring("Max open files".length()).trim().split("\\s+");
                return List.of(fields[0], fields[1]);
            }
        }
        throw new AssertionError("no open-files line in /proc/self/limits");
    }
}
