package jinit.posix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** Reads what the kernel says about a process. */
final class ProcFs {
    private ProcFs() {}

    /** The fields of /proc/PID/stat after "(comm)": [0] is state, [1] ppid, [2] pgrp, [3] session; null if gone. */
    static String[] statFields(Path stat) throws IOException {
        String text;
        try {
            text = Files.readString(stat);
        } catch (NoSuchFileException e) {
            return null;
        }
        return text.substring(text.lastIndexOf(')') + 2).trim().split(" ");
    }

    static String[] stat(int pid) throws IOException {
        return statFields(Path.of("/proc/" + pid + "/stat"));
    }

    /** /proc/PID/status as a map of "Uid" -> "0\t0\t0\t0". */
    static Map<String, String> status(Path file) throws IOException {
        Map<String, String> fields = new TreeMap<>();
        for (String line : Files.readAllLines(file)) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return fields;
    }

    static Map<String, String> status(int pid) throws IOException {
        return status(Path.of("/proc/" + pid + "/status"));
    }

    /** Where an fd points, e.g. "pipe:[1234]" or "/dev/null". */
    static String fdTarget(int pid, int fd) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + fd)).toString();
    }

    static String ownFdTarget(int fd) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
    }

    /** The open flags of an fd, from /proc/PID/fdinfo/FD (octal there). */
    static int fdFlags(int pid, int fd) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/fdinfo/" + fd))) {
            if (line.startsWith("flags:")) {
                return Integer.parseInt(line.substring(6).trim(), 8);
            }
        }
        throw new IOException("no flags in fdinfo " + pid + "/" + fd);
    }

    /**
     * The command line of {@code pid} once it runs the program named {@code comm}. posix_spawn returns as soon
     * as the kernel has replaced the child's memory, which is before exec has copied the new argv and
     * environment onto its stack; until then /proc/PID/cmdline and environ read as empty.
     */
    static String cmdlineOnceExeced(int pid, String comm) throws IOException, InterruptedException {
        Path proc = Path.of("/proc/" + pid);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            // comm changes after the memory and before the stack, so both must show the new program, and
            // comm must say so before and after the read. A read in the middle of an exec can come back cut
            // short (seen: "j"), so only a whole argument list counts: it ends with a NUL.
            boolean before = Files.readString(proc.resolve("comm")).equals(comm + "\n");
            String cmdline = Files.readString(proc.resolve("cmdline"));
            boolean after = Files.readString(proc.resolve("comm")).equals(comm + "\n");
            // A program exec'd by another exec (jinit-exec) may still show its predecessor's arguments.
            if (before && after && cmdline.endsWith("\0") && !cmdline.startsWith("jinit-exec\0")) {
                return cmdline;
            }
            Thread.sleep(2);
        }
        throw new IOException("pid " + pid + " did not exec " + comm + " within 10 s");
    }
}
