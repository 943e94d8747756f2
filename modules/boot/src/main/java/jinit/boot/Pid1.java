package jinit.boot;

import jinit.posix.MountFlags;
import jinit.posix.OpenFlags;
import jinit.posix.Posix;
import jinit.posix.PosixException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the kernel expects of init before anything else can run, in the order it must happen.
 * Every step is skipped when already done (a bootloader, an initramfs or a container may have done it)
 * and every failure is logged and survived: PID 1 exiting panics the kernel.
 */
final class Pid1 {
    private record Mount(String source, String target, String type, long flags, String data) {}

    private static final long NOSUID_NODEV_NOEXEC = MountFlags.MS_NOSUID | MountFlags.MS_NODEV | MountFlags.MS_NOEXEC;

    /** What a JVM and its jobs need: /proc for itself, /dev for devices, cgroups for jobs, and writable /run and /tmp. */
    private static final List<Mount> MOUNTS = List.of(
            new Mount("proc", "/proc", "proc", NOSUID_NODEV_NOEXEC, null),
            new Mount("sysfs", "/sys", "sysfs", NOSUID_NODEV_NOEXEC, null),
            // Every job gets a cgroup of its own in it (see jinit.posix.Cgroups); where systemd mounts it.
            new Mount("cgroup2", "/sys/fs/cgroup", "cgroup2", NOSUID_NODEV_NOEXEC, "nsdelegate"),
            new Mount("devtmpfs", "/dev", "devtmpfs", MountFlags.MS_NOSUID, "mode=0755"),
            new Mount("devpts", "/dev/pts", "devpts", MountFlags.MS_NOSUID | MountFlags.MS_NOEXEC, "gid=5,mode=0620,ptmxmode=0666"),
            new Mount("tmpfs", "/run", "tmpfs", MountFlags.MS_NOSUID | MountFlags.MS_NODEV, "mode=0755"),
            new Mount("tmpfs", "/tmp", "tmpfs", MountFlags.MS_NOSUID | MountFlags.MS_NODEV, "mode=1777"));

    private Pid1() {}

    /**
     * Room for a full table: 16,384 jobs with two log pipes each, 2,048 connections and the held sockets. The
     * kernel gives PID 1 a hard limit of 4,096, so a few users' running jobs could otherwise take every fd init
     * has and leave it unable to accept a connection. Jobs inherit it, as Docker's do a larger one.
     */
    static final long OPEN_FILES = 65_536;

    static void prepareSystem(Posix posix) {
        for (Mount mount : MOUNTS) mount(posix, mount);
        useConsoleIfStdioClosed(posix);
        try {
            posix.setOpenFileLimit(OPEN_FILES);
        } catch (PosixException e) {
            Console.log("could not raise the open-file limit to " + OPEN_FILES + ": " + e.getMessage());
        }
        try {
            posix.interfaceUp("lo");
            Console.log("loopback is up");
        } catch (PosixException e) {
            Console.log("could not bring up lo: " + e.getMessage());
        }
    }

    private static void mount(Posix posix, Mount mount) {
        try {
            if (mountedTargets().contains(mount.target())) return;
            Path target = Path.of(mount.target());
            Files.createDirectories(target);
            if (mount.type().equals("tmpfs") && !isEmpty(target)) {
                // A root filesystem that already keeps files there (or a test run from a checkout under /tmp)
                // would lose sight of them under an empty tmpfs.
                Console.log("not mounting a tmpfs over " + target + ": it already holds files");
                return;
            }
            posix.mount(mount.source(), mount.target(), mount.type(), mount.flags(), mount.data());
        } catch (PosixException | IOException | RuntimeException e) {
            Console.log("could not mount " + mount.target() + ": " + e.getMessage());
        }
    }

    private static boolean isEmpty(Path directory) throws IOException {
        try (var entries = Files.list(directory)) {
            return entries.findAny().isEmpty();
        }
    }

    /** Mount points from /proc/self/mounts; empty until /proc itself is mounted. */
    private static Set<String> mountedTargets() {
        Set<String> targets = new HashSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] fields = line.split(" ");
                if (fields.length > 1) targets.add(fields[1]);
            }
        } catch (IOException e) {
            // /proc is not mounted yet: nothing is known to be mounted.
        }
        return targets;
    }

    /**
     * The kernel opens /dev/console as init's stdio only if the initramfs has that node. Without it init
     * would be mute, so once devtmpfs is mounted, open the console for whichever of 0, 1, 2 is closed.
     */
    private static void useConsoleIfStdioClosed(Posix posix) {
        if (posix.isOpen(0) && posix.isOpen(1) && posix.isOpen(2)) return;
        try {
            int console = posix.open("/dev/console", OpenFlags.O_RDWR | OpenFlags.O_NOCTTY, 0);
            for (int fd = 0; fd <= 2; fd++) {
                if (!posix.isOpen(fd)) posix.dup2(console, fd);
            }
            if (console > 2) posix.close(console);
        } catch (PosixException e) {
            // Nothing to log to; carry on mute rather than die.
        }
    }
}
