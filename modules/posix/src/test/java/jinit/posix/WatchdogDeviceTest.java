package jinit.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import jinit.api.ExitStatus;
import org.junit.jupiter.api.Test;

/**
 * The watchdog calls, on this host without a watchdog (opening a real one here would reset the machine): /dev/full
 * stands in for the device, a character device whose driver answers the watchdog ioctls with ENOTTY.
 */
class WatchdogDeviceTest {
    private static final Posix POSIX = Children.POSIX;
    private static final int O_CLOEXEC_OCTAL_IN_FDINFO = 02000000;
    private static final String STAND_IN = "/dev/full";

    @Test
    void theIoctlNumbersAreLinuxWatchdogHs() {
        // From <linux/watchdog.h>, printed by a C program on x86_64; _IOR/_IOWR encode the same on aarch64.
        assertEquals(0x80285700L, WatchdogDevice.WDIOC_GETSUPPORT);
        assertEquals(0x80045705L, WatchdogDevice.WDIOC_KEEPALIVE);
        assertEquals(0xC0045706L, WatchdogDevice.WDIOC_SETTIMEOUT);
        assertEquals(0x80045707L, WatchdogDevice.WDIOC_GETTIMEOUT);
    }

    @Test
    void theDeviceIsOpenedWriteOnlyAndCloseOnExecAndNoChildInheritsIt() throws Exception {
        WatchdogDevice device = WatchdogDevice.open(POSIX, STAND_IN);
        try {
            int flags = ProcFs.fdFlags(POSIX.getpid(), device.fd());
            assertEquals(OpenFlags.O_WRONLY, flags & 3);
            assertTrue((flags & O_CLOEXEC_OCTAL_IN_FDINFO) != 0, "not close-on-exec");
            int pid = Children.spawn("/bin/sleep", "30");
            try {
                List<String> targets;
                try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
                    targets = fds.map(fd -> {
                        try {
                            return Files.readSymbolicLink(fd).toString();
                        } catch (java.io.IOException e) {
                            return "?";
                        }
                    }).toList();
                }
                assertTrue(targets.stream().noneMatch(STAND_IN::equals), "the child holds the device: " + targets);
            } finally {
                POSIX.kill(pid, 9);
                assertEquals(new ExitStatus.Signaled(9, false), Children.awaitExit(pid));
            }
        } finally {
            POSIX.close(device.fd());
        }
    }

    @Test
    void aDeviceThatIsNoWatchdogSaysSoNamingTheCall() throws Exception {
        WatchdogDevice device = WatchdogDevice.open(POSIX, STAND_IN);
        try {
            PosixException e = assertThrows(PosixException.class, device::identity);
            assertEquals(25, e.errno()); // ENOTTY
            assertTrue(e.getMessage().startsWith("ioctl /dev/full WDIOC_GETSUPPORT: "), e.getMessage());
            assertEquals(25, assertThrows(PosixException.class, device::keepAlive).errno());
            assertEquals(25, assertThrows(PosixException.class, () -> device.setTimeout(12)).errno());
        } finally {
            POSIX.close(device.fd());
        }
    }

    @Test
    void anUnreapedChildIsSeenWithoutBeingReaped() throws Exception {
        int pid = Children.whileHoldingExits(() -> {
            int child = POSIX.spawner().spawn(SpawnRequest.of("/bin/true", List.of("true")));
            // Its exit waits for our lock, so it stays a zombie: what a stuck reaper leaves behind.
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!ProcFs.stat(child)[0].equals("Z") && System.nanoTime() < deadline) Thread.sleep(5);
            assertEquals(child, POSIX.unreapedChild());
            assertEquals(child, POSIX.unreapedChild(), "looking must not reap it");
            Children.register(child);
            return child;
        });
        assertEquals(new ExitStatus.Code(0), Children.awaitExit(pid));
        assertNotEquals(pid, POSIX.unreapedChild());
    }
}
