import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * pm2 through its programmatic API: bench/peers/pm2-driver.js, one node process that holds the pm2
 * connection, one JSON command per line. The pm2 daemon ("God") lives in a private PM2_HOME.
 */
final class Pm2 implements AutoCloseable {
    private final Process driver;
    private final Writer commands;
    private final BufferedReader answers;
    /** The pm2 daemon's pid (what RSS is read from), after connect. */
    long daemonPid = -1;

    Pm2(Path driverScript, Path npmPrefix, Path home, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("node", driverScript.toString())
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("PM2_HOME", home.toString());
        pb.environment().put("BENCH_NPM_PREFIX", npmPrefix.toString());
        driver = pb.start();
        commands = new java.io.OutputStreamWriter(driver.getOutputStream(), StandardCharsets.UTF_8);
        answers = new BufferedReader(new InputStreamReader(driver.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Sends a command and waits for its answer; pm2's own errors become exceptions. */
    Map<String, Object> command(String json) throws IOException {
        commands.write(json + "\n");
        commands.flush();
        String line = answers.readLine();
        if (line == null) throw new IOException("pm2-driver ended (see its log)");
        Map<String, Object> answer = Json.object(line);
        if (answer.containsKey("error")) throw new IOException("pm2: " + answer.get("error") + " (for " + json + ")");
        return answer;
    }

    /**
     * Starts (or joins) the daemon; returns the time that took in nanoseconds: from pm2.connect, which
     * spawns the daemon, to its first answer. Node's start and loading pm2 are not counted (hello first).
     */
    long connect() throws IOException {
        command("{\"op\":\"hello\"}");
        long t0 = System.nanoTime();
        daemonPid = ((Number) command("{\"op\":\"connect\"}").get("pid")).longValue();
        return System.nanoTime() - t0;
    }

    long rssKb() {
        return Proc.rssKb(daemonPid);
    }

    /** N /bin/true apps, C concurrent starts, waited for and deleted. */
    Map<String, Object> startTrue(int n, int clients) throws IOException {
        return command("{\"op\":\"true\",\"n\":" + n + ",\"clients\":" + clients + "}");
    }

    void startSleep(int n) throws IOException {
        command("{\"op\":\"sleep\",\"n\":" + n + "}");
    }

    /** Deletes every app (stopping running ones); returns the seconds pm2 took. */
    double deleteAll() throws IOException {
        return ((Number) command("{\"op\":\"deleteAll\"}").get("seconds")).doubleValue();
    }

    @Override
    public void close() throws InterruptedException {
        try {
            if (driver.isAlive()) command("{\"op\":\"kill\"}");
        } catch (IOException e) {
            System.err.println("bench: pm2 kill: " + e.getMessage());
        }
        try {
            commands.close();
        } catch (IOException ignored) {
            // the driver is gone
        }
        Proc.stop(driver, 5_000);
        if (daemonPid > 0 && ProcessHandle.of(daemonPid).isPresent()) {
            // The daemon outlived killDaemon: stop it by its own pid, nothing broader.
            ProcessHandle.of(daemonPid).ifPresent(ProcessHandle::destroy);
        }
    }

    static List<Double> numbers(Object list) {
        return ((List<?>) list).stream().map(v -> ((Number) v).doubleValue()).toList();
    }
}
