import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;

/**
 * The printed table: one row per figure, a column per system, the ratios jinit ÷ peer and jinit ÷ floor,
 * and the goal with whether this run met it. Ratios are of the two cells as printed, both from
 * this run.
 */
final class Table {
    enum Summary {
        MEDIAN("median"), P50("p50"), P99("p99"), MAX("max");

        final String label;

        Summary(String label) {
            this.label = label;
        }

        double of(List<Double> samples) {
            return switch (this) {
                case MEDIAN, P50 -> Results.percentile(samples, 50);
                case P99 -> Results.percentile(samples, 99);
                case MAX -> samples.isEmpty() ? Double.NaN : samples.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            };
        }
    }

    /** A goal: a test on the row's cells (jinit, and the others by name), and how to say it. */
    interface Goal {
        String text();

        /** null when a cell it needs is missing. */
        Boolean met(Row row, Results results);
    }

    static Goal atMost(double limit, String text) {
        return new Goal() {
            public String text() { return text; }
            public Boolean met(Row row, Results r) {
                double v = row.cell(r, Results.JINIT);
                return Double.isNaN(v) ? null : v <= limit;
            }
        };
    }

    /** jinit ≥ factor × the other system's cell (or ≤ factor ×, for lower-is-better figures). */
    static Goal relative(String other, double factor, boolean atLeast, String text) {
        return new Goal() {
            public String text() { return text; }
            public Boolean met(Row row, Results r) {
                double j = row.cell(r, Results.JINIT), o = row.cell(r, other);
                if (Double.isNaN(j) || Double.isNaN(o)) return null;
                return atLeast ? j >= factor * o : j <= factor * o;
            }
        };
    }

    static Goal both(Goal a, Goal b, String text) {
        return new Goal() {
            public String text() { return text; }
            public Boolean met(Row row, Results r) {
                Boolean x = a.met(row, r), y = b.met(row, r);
                return x == null || y == null ? null : x && y;
            }
        };
    }

    /**
     * One row. {@code scale} turns stored units into printed ones (KiB -> MB and so on); {@code systems}
     * are the cells this run must fill (a missing one fails --quick).
     */
    record Row(String section, String label, String figure, Summary summary, String unit, DoubleUnaryOperator scale,
               List<String> systems, Goal goal) {
        double cell(Results r, String system) {
            List<Double> s = r.get(figure, system);
            return s.isEmpty() ? Double.NaN : scale.applyAsDouble(summary.of(s));
        }
    }

    static final DoubleUnaryOperator SAME = v -> v;
    static final DoubleUnaryOperator KIB_TO_MB = v -> v / 1024;
    static final DoubleUnaryOperator NS_TO_MS = v -> v / 1e6;

    private static final String[] SYSTEMS = {Results.JINIT, Results.SUPERVISORD, Results.PM2, Results.FLOOR};

    static String render(List<Row> rows, Results r) {
        List<String[]> lines = new ArrayList<>();
        lines.add(new String[] {"figure", "unit", "jinit", "supervisord", "pm2", "floor", "j÷sup", "j÷pm2", "j÷floor", "goal", "met"});
        String section = null;
        for (Row row : rows) {
            if (!row.section().equals(section)) {
                section = row.section();
                lines.add(new String[] {"-- " + section});
            }
            String[] line = new String[11];
            line[0] = row.label() + " (" + row.summary().label + ")";
            line[1] = row.unit();
            double jinit = row.cell(r, Results.JINIT);
            for (int s = 0; s < SYSTEMS.length; s++) {
                double v = row.cell(r, SYSTEMS[s]);
                line[2 + s] = row.systems().contains(SYSTEMS[s]) || !Double.isNaN(v) ? number(v) : "";
            }
            for (int s = 1; s < SYSTEMS.length; s++) {
                double v = row.cell(r, SYSTEMS[s]);
                line[5 + s] = Double.isNaN(v) || Double.isNaN(jinit) || v == 0 ? "" : ratio(jinit / v);
            }
            line[9] = row.goal() == null ? "" : row.goal().text();
            Boolean met = row.goal() == null ? null : row.goal().met(row, r);
            line[10] = row.goal() == null ? "" : met == null ? "?" : met ? "yes" : "NO";
            lines.add(line);
        }
        int[] width = new int[11];
        for (String[] line : lines) {
            if (line.length == 1) continue;
            for (int c = 0; c < line.length; c++) width[c] = Math.max(width[c], line[c].length());
        }
        StringBuilder out = new StringBuilder();
        for (String[] line : lines) {
            if (line.length == 1) { out.append(line[0]).append('\n'); continue; }
            for (int c = 0; c < line.length; c++) {
                boolean left = c == 0 || c == 1 || c == 9;
                String cell = line[c];
                String pad = " ".repeat(width[c] - cell.length());
                out.append(left ? cell + pad : pad + cell).append(c == line.length - 1 ? "" : "  ");
            }
            out.append('\n');
        }
        return out.toString();
    }

    static String number(double v) {
        if (Double.isNaN(v)) return "MISSING";
        double a = Math.abs(v);
        if (a == 0) return "0";
        if (a >= 1000) return String.format(Locale.ROOT, "%,.0f", v);
        if (a >= 100) return String.format(Locale.ROOT, "%.0f", v);
        if (a >= 10) return String.format(Locale.ROOT, "%.1f", v);
        if (a >= 1) return String.format(Locale.ROOT, "%.2f", v);
        return String.format(Locale.ROOT, "%.3f", v);
    }

    static String ratio(double v) {
        if (v >= 100) return String.format(Locale.ROOT, "%.0f", v);
        if (v >= 10) return String.format(Locale.ROOT, "%.1f", v);
        return String.format(Locale.ROOT, "%.2f", v);
    }

    /** Cells that the rows say this run must produce, and did not. */
    static List<String> missing(List<Row> rows, Results r) {
        List<String> missing = new ArrayList<>();
        for (Row row : rows) {
            for (String system : row.systems()) {
                if (Double.isNaN(row.cell(r, system))) missing.add(row.label() + " / " + system);
            }
        }
        return missing;
    }
}
