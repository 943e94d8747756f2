import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** HTTP load with wrk (Debian): one run, its requests/s and latency percentiles. */
final class Wrk {
    private Wrk() {}

    /** p50 and p99 in milliseconds; errors = non-2xx answers plus socket errors (must be 0). */
    record Result(double requestsPerSecond, double p50Ms, double p99Ms, long errors) {}

    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");
    private static final Pattern SOCKET = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

    /**
     * Runs wrk against url with {@code connections} keep-alive connections (one thread per 8, at least
     * one, at most two: there are two cores, and the server needs them too). A POST body, when given, is
     * sent with a Lua script that sets method, body and content type.
     */
    static Result run(String url, int connections, int seconds, Path scratch, String postContentType, String postBody)
            throws IOException, InterruptedException {
        int threads = Math.min(2, Math.max(1, connections / 8));
        // --timeout 10s: supervisord's getAllProcessInfo of 1,000 processes takes seconds; wrk's default of 2 s
        // would count those as errors and leave them out of the percentiles.
        List<String> command = Proc.list("wrk", "-t" + threads, "-c" + connections, "-d" + seconds + "s", "--timeout", "10s", "--latency");
        if (postBody != null) {
            Path script = Files.createTempFile(scratch, "post", ".lua");
            Files.writeString(script, "wrk.method = \"POST\"\nwrk.body = " + luaString(postBody)
                    + "\nwrk.headers[\"Content-Type\"] = " + luaString(postContentType) + "\n");
            command.addAll(List.of("-s", script.toString()));
        }
        command.add(url);
        String out = Proc.run(command, seconds + 30L);
        Matcher rate = RATE.matcher(out);
        if (!rate.find()) throw new IOException("wrk printed no Requests/sec:\n" + out);
        long errors = 0;
        Matcher non2xx = NON_2XX.matcher(out);
        if (non2xx.find()) errors += Long.parseLong(non2xx.group(1));
        Matcher socket = SOCKET.matcher(out);
        if (socket.find()) for (int g = 1; g <= 4; g++) errors += Long.parseLong(socket.group(g));
        return new Result(Double.parseDouble(rate.group(1)), percentile(out, "50%"), percentile(out, "99%"), errors);
    }

    private static double percentile(String out, String which) throws IOException {
        Matcher m = Pattern.compile("^\\s*" + Pattern.quote(which) + "\\s+([0-9.]+)(us|ms|s|m)\\s*$", Pattern.MULTILINE).matcher(out);
        if (!m.find()) throw new IOException("wrk printed no " + which + " latency:\n" + out);
        double v = Double.parseDouble(m.group(1));
        return switch (m.group(2)) {
            case "us" -> v / 1000;
            case "ms" -> v;
            case "s" -> v * 1000;
            default -> v * 60_000;
        };
    }

    private static String luaString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
