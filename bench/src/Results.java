import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Raw samples: figure -> system -> values, plus notes on conditions and anything that went wrong. */
final class Results {
    static final String JINIT = "jinit", SUPERVISORD = "supervisord", PM2 = "pm2", FLOOR = "floor";
    /** The --baseline image: another jinit build, measured like jinit in the same run (before/after). */
    static final String BEFORE = "jinit-before";

    final Map<String, Map<String, List<Double>>> samples = new LinkedHashMap<>();
    final Map<String, Object> conditions = new LinkedHashMap<>();
    final Map<String, Object> notes = new LinkedHashMap<>();
    /** Phases that failed: their figures are missing, and the run fails. */
    final List<String> errors = new ArrayList<>();
    /** Oddities that left the figures standing (wrk saw non-2xx answers): printed, not fatal. */
    final List<String> warnings = new ArrayList<>();

    synchronized void add(String figure, String system, double value) {
        samples.computeIfAbsent(figure, f -> new LinkedHashMap<>()).computeIfAbsent(system, s -> new ArrayList<>()).add(value);
    }

    synchronized void addAll(String figure, String system, Collection<Double> values) {
        for (double v : values) add(figure, system, v);
    }

    synchronized List<Double> get(String figure, String system) {
        return samples.getOrDefault(figure, Map.of()).getOrDefault(system, List.of());
    }

    /** The median of a figure's samples, or NaN when there are none. */
    double median(String figure, String system) {
        return percentile(get(figure, system), 50);
    }

    /** Nearest-rank percentile of the samples, NaN for none. */
    static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) return Double.NaN;
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        if (p == 50 && sorted.size() % 2 == 0) {
            return (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
        }
        int rank = (int) Math.ceil(p / 100 * sorted.size());
        return sorted.get(Math.clamp(rank - 1, 0, sorted.size() - 1));
    }

    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("conditions", conditions);
        json.put("notes", notes);
        json.put("errors", errors);
        json.put("warnings", warnings);
        json.put("samples", samples);
        return json;
    }
}
