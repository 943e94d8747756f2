import java.util.ArrayList;
import java.util.List;

/** The table's rows: which figure, summarised how, for which systems, against which goal of issue 6. */
final class Rows {
    private Rows() {}

    private static final String J = Results.JINIT, S = Results.SUPERVISORD, P = Results.PM2, F = Results.FLOOR;

    /** {@code before}: the run has a --baseline image, which must then fill every cell that jinit does. */
    static List<Table.Row> all(Bench.Counts c, boolean before) {
        List<Table.Row> rows = new ArrayList<>();
        String mem = "memory: VmRSS of the daemon (pm2: its God daemon), MB; floor: the JVM alone (bench/floor/JvmFloor.java)";
        rows.add(row(mem, "idle, 1 s after the first answer", "rss.idle", Table.Summary.MEDIAN, "MB", Table.KIB_TO_MB,
                List.of(J, S, P, F), Table.atMost(24, "<= 24 MB")));
        rows.add(row(mem, "idle, settled: " + 10 * c.settleMs() / 1000.0 + " s after start", "rss.settled", Table.Summary.MEDIAN, "MB",
                Table.KIB_TO_MB, List.of(J, S, P), null));
        rows.add(row(mem, "after " + c.memJobs() + " short jobs started, ended, deleted", "rss.afterShort", Table.Summary.MEDIAN, "MB",
                Table.KIB_TO_MB, List.of(J, S, P), Table.atMost(28, "<= 28 MB")));
        rows.add(row(mem, "with " + c.memJobs() + " sleep jobs running", "rss.withSleeps", Table.Summary.MEDIAN, "MB", Table.KIB_TO_MB,
                List.of(J, S, P), null));
        rows.add(row(mem, "at the end of the run (after every round)", "rss.end", Table.Summary.MEDIAN, "MB", Table.KIB_TO_MB,
                List.of(J, S, P), null));
        rows.add(row(mem, "time to stop " + c.memJobs() + " sleep jobs", "stop.mem", Table.Summary.MEDIAN, "ms", Table.SAME,
                List.of(J, S, P), null));

        String start = "job start: /bin/true through the API, end to end (started and reaped); floor: posix_spawn+waitpid in C";
        for (int clients : new int[] {1, 8}) {
            rows.add(row(start, "starts/s, " + clients + " client" + (clients > 1 ? "s" : ""), "start.rate.c" + clients,
                    Table.Summary.MEDIAN, "/s", Table.SAME, List.of(J, S, P, F),
                    Table.both(Table.relative(F, 0.7, true, ""), Table.relative(S, 10, true, ""), ">= 0.7 x floor, >= 10 x sup")));
        }
        String asUser = "job start as another user (\"user\":\"nobody\": jinit-exec drops root's ids in the child)";
        for (int clients : new int[] {1, 8}) {
            rows.add(row(asUser, "starts/s, " + clients + " client" + (clients > 1 ? "s" : ""), "start.asUser.rate.c" + clients,
                    Table.Summary.MEDIAN, "/s", Table.SAME, List.of(J), null));
            rows.add(row(asUser, "start latency p50, " + clients + " client" + (clients > 1 ? "s" : ""), "start.asUser.latency.c" + clients,
                    Table.Summary.P50, "ms", Table.SAME, List.of(J), null));
        }
        for (int clients : new int[] {1, 8}) {
            for (Table.Summary s : new Table.Summary[] {Table.Summary.P50, Table.Summary.P99}) {
                rows.add(row(start, "start latency, request -> running, " + clients + " client" + (clients > 1 ? "s" : ""),
                        "start.latency.c" + clients, s, "ms", Table.SAME, List.of(J, S, P, F),
                        s == Table.Summary.P50 ? Table.atMost(1, "<= 1 ms") : null));
            }
        }

        String api = "API, wrk keep-alive; floor: nginx sending jinit's bytes; supervisord: getProcessInfo / getAllProcessInfo";
        int big = c.apiJobs()[c.apiJobs().length - 1];
        for (int n : c.apiJobs()) {
            for (String what : new String[] {"job", "jobs"}) {
                for (int conns : new int[] {1, 16}) {
                    String name = (what.equals("job") ? "GET /job/:id" : "GET /jobs") + ", " + n + " jobs, c" + conns;
                    String key = "api." + what + ".n" + n + ".c" + conns;
                    Table.Goal rpsGoal = what.equals("job") && conns == 16 ? Table.relative(F, 0.5, true, ">= 0.5 x floor") : null;
                    Table.Goal p99Goal = what.equals("jobs") && conns == 16 && n == big ? Table.atMost(50, "<= 50 ms") : null;
                    rows.add(row(api, name + " req/s", key + ".rps", Table.Summary.MEDIAN, "/s", Table.SAME, List.of(J, S, F), rpsGoal));
                    rows.add(row(api, name + " p99 latency", key + ".p99", Table.Summary.MEDIAN, "ms", Table.SAME, List.of(J, S, F), p99Goal));
                }
            }
        }

        String startup = "startup: exec -> first answered request (pm2: pm2.connect spawning its daemon; floor: the JVM alone)";
        rows.add(row(startup, "host startup", "startup", Table.Summary.MEDIAN, "ms", Table.SAME, List.of(J, S, P, F),
                Table.relative(S, 0.5, false, "<= 0.5 x sup")));
        rows.add(row(startup, "host startup", "startup", Table.Summary.MAX, "ms", Table.SAME, List.of(J, S, P, F), null));

        String scale = "scale: jinit alone" + (before ? " (then before alone)" : "") + ", " + c.scaleJobs() + " sleep jobs requested, " + c.orphans() + " orphans";
        rows.add(row(scale, "sleep jobs running", "scale.started", Table.Summary.MAX, "n", Table.SAME, List.of(J), null));
        rows.add(row(scale, "memory per running job", "scale.perJobKb", Table.Summary.MAX, "KB", Table.SAME, List.of(J),
                Table.atMost(4, "<= 4 KB")));
        rows.add(row(scale, "the same, once listed (its JSON cached)", "scale.perJobKbListed", Table.Summary.MAX, "KB", Table.SAME,
                List.of(J), null));
        rows.add(row(scale, "GET /jobs with them all", "scale.list", Table.Summary.MEDIAN, "ms", Table.SAME, List.of(J), null));
        rows.add(row(scale, "GET /jobs with them all", "scale.list", Table.Summary.MAX, "ms", Table.SAME, List.of(J), null));
        rows.add(row(scale, "stop them all (POST /job/:id/stop each)", "scale.stop", Table.Summary.MAX, "ms", Table.SAME, List.of(J), null));
        rows.add(row(scale, "orphans forked by the storm job", "orphans.forked", Table.Summary.MAX, "n", Table.SAME, List.of(J), null));
        rows.add(row(scale, "orphan storm reaped in", "orphans.reapMs", Table.Summary.MAX, "ms", Table.SAME, List.of(J), null));
        rows.add(row(scale, "zombies left after the storm", "orphans.zombies", Table.Summary.MAX, "n", Table.SAME, List.of(J),
                Table.atMost(0, "0")));

        // Not jinit against the others: the initramfs of this tree (rootfs/target/ARCH) under QEMU, TCG.
        String boot = c.ramOnceMb() > 0
                ? "boot: --quick boots each initramfs once, with " + c.ramOnceMb() + " MB, and searches nothing (bench/least-ram --once)"
                : "boot: the least guest RAM, in 16 MB steps, with which rootfs/target/ARCH's initramfs boots to API ready (bench/least-ram)";
        for (String arch : Bench.ARCHES) {
            rows.add(row(boot, "RAM to API ready, " + arch, "boot.least-ram." + arch, Table.Summary.MAX, "MB", Table.SAME,
                    List.of(J), Table.atMost(160, "<= 160 MB")));
        }
        if (before) rows.replaceAll(Rows::withBefore);
        return rows;
    }

    private static Table.Row withBefore(Table.Row r) {
        // The boot rows measure the root filesystem this tree builds, not a runtime image: no before.
        if (!r.systems().contains(J) || r.figure().startsWith("boot.")) return r;
        List<String> systems = new ArrayList<>(r.systems());
        systems.add(Results.BEFORE);
        return new Table.Row(r.section(), r.label(), r.figure(), r.summary(), r.unit(), r.scale(), systems, r.goal());
    }

    private static Table.Row row(String section, String label, String figure, Table.Summary summary, String unit,
                                 java.util.function.DoubleUnaryOperator scale, List<String> systems, Table.Goal goal) {
        return new Table.Row(section, label, figure, summary, unit, scale, systems, goal);
    }
}
