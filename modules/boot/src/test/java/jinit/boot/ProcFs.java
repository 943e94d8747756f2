package jinit.boot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/** What the kernel says about processes, read from /proc. A process that vanished reads as empty. */
final class ProcFs {
    private ProcFs() {}

    /** One line of /proc: a process, its parent, its state letter (R, S, Z…) and its argv. */
    record Proc(int pid, int ppid, char state, List<String> cmdline) {
        boolean zombie() {
            return state == 'Z';
        }
    }

    static Optional<Proc> proc(int pid) {
        try {
            String stat = Files.readString(dir(pid).resolve("stat"));
            // The command name may hold spaces and parentheses; the fields resume after the last ')'.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Optional.of(new Proc(pid, Integer.parseInt(fields[1]), fields[0].charAt(0), cmdline(pid)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static boolean exists(int pid) {
        return Files.exists(dir(pid));
    }

    /** Every process on the machine (threads are not listed in /proc, only their processes). */
    static List<Proc> all() throws IOException {
        List<Proc> procs = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                if (name.chars().allMatch(Character::isDigit)) proc(Integer.parseInt(name)).ifPresent(procs::add);
            }
        }
        return procs;
    }

    static List<Proc> children(int ppid) throws IOException {
        return all().stream().filter(p -> p.ppid() == ppid).toList();
    }

    static List<Proc> zombieChildren(int ppid) throws IOException {
        return children(ppid).stream().filter(Proc::zombie).toList();
    }

    /** Processes whose argv is exactly {@code argv}. */
    static List<Proc> withCmdline(List<String> argv) throws IOException {
        return all().stream().filter(p -> p.cmdline().equals(argv)).toList();
    }

    /**
     * Waits until {@code pid} runs {@code argv}. A spawner's vfork-style parent resumes while the
     * child's execve is still under way, and until it completes /proc shows an empty command line
     * and the old image's fds and credentials; so every /proc check of a fresh job starts here.
     */
    static void awaitExec(int pid, List<String> argv) throws Exception {
        Eventually.await("pid " + pid + " to exec " + argv, () -> cmdline(pid), argv::equals);
    }

    /** The PID namespace a process is in, e.g. "pid:[4026531836]"; empty once it is gone. */
    static Optional<String> pidNamespace(int pid) {
        try {
            return Optional.of(Files.readSymbolicLink(dir(pid).resolve("ns/pid")).toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** A process's pid in each PID namespace it is in, outermost first (the "NSpid" line). */
    static List<Integer> nsPids(int pid) throws IOException {
        return ids(pid, "NSpid");
    }

    static List<String> cmdline(int pid) throws IOException {
        return nulSeparated(dir(pid).resolve("cmdline"));
    }

    /** The environment the process was started with, as "K=V" strings. */
    static Set<String> environ(int pid) throws IOException {
        return new TreeSet<>(nulSeparated(dir(pid).resolve("environ")));
    }

    static Set<Integer> fds(int pid) throws IOException {
        try (Stream<Path> fds = Files.list(dir(pid).resolve("fd"))) {
            return fds.map(p -> Integer.parseInt(p.getFileName().toString())).collect(TreeSet::new, Set::add, Set::addAll);
        }
    }

    static String fdTarget(int pid, int fd) throws IOException {
        return Files.readSymbolicLink(dir(pid).resolve("fd/" + fd)).toString();
    }

    static Path cwd(int pid) throws IOException {
        return Files.readSymbolicLink(dir(pid).resolve("cwd"));
    }

    static Path exe(int pid) throws IOException {
        return Files.readSymbolicLink(dir(pid).resolve("exe"));
    }

    /** /proc/PID/status as "Uid" -> "0\t0\t0\t0". */
    static Map<String, String> status(int pid) throws IOException {
        Map<String, String> fields = new TreeMap<>();
        for (String line : Files.readAllLines(dir(pid).resolve("status"))) {
            int colon = line.indexOf(':');
            if (colon > 0) fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
        }
        return fields;
    }

    /** A status line of numbers ("Uid", "Gid", "Groups") as a list: real, effective, saved, filesystem ids. */
    static List<Integer> ids(int pid, String field) throws IOException {
        String value = status(pid).get(field);
        if (value == null || value.isEmpty()) return List.of();
        return Arrays.stream(value.split("\\s+")).map(Integer::valueOf).toList();
    }

    private static List<String> nulSeparated(Path file) throws IOException {
        String text;
        try {
            text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        }
        if (text.isEmpty()) return List.of();
        if (text.endsWith("\0")) text = text.substring(0, text.length() - 1);
        return List.of(text.split("\0", -1));
    }

    private static Path dir(int pid) {
        return Path.of("/proc", Integer.toString(pid));
    }
}
