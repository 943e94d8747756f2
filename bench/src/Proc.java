import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Processes: start, measure, stop. */
final class Proc {
    private Proc() {}

    /** VmRSS of a process in KiB, from /proc/PID/status; -1 when the process is gone. */
    static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** The parent pid of a process, or -1 when it is gone. */
    static long parentOf(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[1]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** A TCP port that was free a moment ago (the kernel's pick for port 0). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Starts a command with stdout and stderr going to a log file. */
    static Process start(List<String> command, Path log, java.util.Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        if (env != null) pb.environment().putAll(env);
        return pb.start();
    }

    /** Runs a command to its end and returns its stdout; fails with its output when it exits non-zero. */
    static String run(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        Ran ran = runToEnd(command, timeoutSeconds, false);
        if (ran.exit() != 0) throw new IOException(String.join(" ", command) + " exited " + ran.exit() + ": " + ran.output());
        return ran.output();
    }

    /** A command's exit status and its output. */
    record Ran(int exit, String output) {}

    /**
     * Runs a command to its end, whatever its exit status. Its output is stdout, with stderr too unless
     * {@code stderrToOurs} (then stderr goes to this process's, as it comes: a long helper's progress).
     * Fails when it has not ended within the timeout (and kills it).
     */
    static Ran runToEnd(List<String> command, long timeoutSeconds, boolean stderrToOurs) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        if (stderrToOurs) pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        else pb.redirectErrorStream(true);
        Process p = pb.start();
        byte[][] output = new byte[1][];
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                output[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                output[0] = new byte[0];
            }
        });
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + ": no end after " + timeoutSeconds + " s");
        }
        reader.join();
        return new Ran(p.exitValue(), new String(output[0]));
    }

    /** Stops a process: SIGTERM, then SIGKILL after the grace period. True if TERM was enough. */
    static boolean stop(Process p, long graceMillis) throws InterruptedException {
        if (!p.isAlive()) return true;
        p.destroy();
        if (p.waitFor(graceMillis, TimeUnit.MILLISECONDS)) return true;
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        return false;
    }

    /** Kills the given pids, but only those that are still children of {@code parent} (never a reused pid). */
    static int killChildren(long parent, List<Long> pids) {
        int killed = 0;
        for (long pid : pids) {
            if (parentOf(pid) != parent) continue;
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            killed++;
        }
        return killed;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    static List<String> list(String... items) {
        return new ArrayList<>(List.of(items));
    }
}
