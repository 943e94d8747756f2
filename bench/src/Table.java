import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;

/**
 * The printed table: one row per figure, a column per system, the ratios jinit ÷ peer and jinit ÷ floor
 * (and jinit ÷ before, with a --baseline image), and the goal with whether this run met it. Ratios are of the two cells as printed, both from
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

    /** A column of cells, and the ratio jinit ÷ it (none for jinit's own column). */
    private record Column(String system, String header, String ratio) {}

    private static final List<Column> COLUMNS = List.of(new Column(Results.JINIT, "jinit", null),
            new Column(Results.SUPERVISORD, "supervisord", "j÷sup"), new Column(Results.PM2, "pm2", "j÷pm2"),
            new Column(Results.FLOOR, "floor", "j÷floor"));
    /** Only when the run has a --baseline image: without one, the table is as it always was. */
    private static final Column BEFORE = new Column(Results.BEFORE, "before", "j÷before");

    static String render(List<Row> rows, Results r, boolean before) {
        List<Column> columns = new ArrayList<>(COLUMNS);
        if (before) columns.add(BEFORE);
        List<Column> ratios = columns.stream().filter(c -> c.ratio() != null).toList();
        List<List<String>> lines = new ArrayList<>();
        List<String> header = new ArrayList<>(List.of("figure", "unit"));
        columns.forEach(c -> header.add(c.header()));
        ratios.forEach(c -> header.add(c.ratio()));
        header.addAll(List.of("goal", "met"));
        lines.add(header);
        String section = null;
        for (Row row : rows) {
            if (!row.section().equals(section)) {
                section = row.section();
                lines.add(List.of("-- " + section));
            }
            List<String> line = new ArrayList<>(List.of(row.label() + " (" + row.summary().label + ")", row.unit()));
            double jinit = row.cell(r, Results.JINIT);
            for (Column c : columns) {
                double v = row.cell(r, c.system());
                line.add(row.systems().contains(c.system()) || !Double.isNaN(v) ? number(v) : "");
            }
            for (Column c : ratios) {
                double v = row.cell(r, c.system());
                line.add(Double.isNaN(v) || Double.isNaN(jinit) || v == 0 ? "" : ratio(jinit / v));
            }
            line.add(row.goal() == null ? "" : row.goal().text());
            Boolean met = row.goal() == null ? null : row.goal().met(row, r);
            line.add(row.goal() == null ? "" : met == null ? "?" : met ? "yes" : "NO");
            lines.add(line);
        }
        int goal = header.size() - 2;
        int[] width = new int[header.size()];
        for (List<String> line : lines) {
            if (line.size() == 1) continue;
            for (int c = 0; c < line.size(); c++) width[c] = Math.max(width[c], line.get(c).length());
        }
        StringBuilder out = new StringBuilder();
        for (List<String> line : lines) {
            if (line.size() == 1) { out.append(line.getFirst()).append('\n'); continue; }
            for (int c = 0; c < line.size(); c++) {
                boolean left = c == 0 || c == 1 || c == goal;
                String cell = line.get(c);
                String pad = " ".repeat(width[c] - cell.length());
                out.append(left ? cell + pad : pad + cell).append(c == line.size() - 1 ? "" : "  ");
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
