package jinit.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A daemon's open fds (fd -> what it is) and threads (tid -> name), from /proc: what a test compares before and after
 * to show the daemon gave back what a load took. A fresh daemon is not the baseline: it opens some fds and threads once
 * and for good on first use (how many can depend on the machine's CPUs), so a baseline is taken at rest after
 * {@link #atRestAfterWarmUp}.
 */
record DaemonUsage(Map<Integer, String> fds, Map<Integer, String> threads) {
    /** The daemon at rest once it has served a request of each kind. */
    static DaemonUsage atRestAfterWarmUp(Daemon daemon) throws Exception {
        warmUp(daemon);
        return settled(daemon.pid());
    }

    /** A request of each kind, so that the baseline counts what the daemon keeps once it has served anything. */
    private static void warmUp(Daemon daemon) throws Exception {
        for (int i = 0; i < 20; i++) {
            daemon.put("/job/warm-" + i, "{\"exec\":\"/bin/true\"}");
            daemon.get("/jobs");
            daemon.get("/job/warm-" + i + "/log?follow=1");
            daemon.request("POST", "/job", Map.of("Content-Type", "text/plain"), "x".getBytes(StandardCharsets.UTF_8));
            try (Http.Connection connection = Http.Connection.open(daemon.address())) {
                connection.stream("GET", "/events?since=0", Map.of()).close();
            }
        }
        for (int i = 0; i < 20; i++) {
            daemon.awaitEnded("warm-" + i);
            daemon.delete("/job/warm-" + i);
        }
        // A stop of a running job starts the supervisor's scheduler thread (the KILL timer), once and for good.
        daemon.put("/job/warm-stop", "{\"exec\":\"/bin/sleep\",\"args\":[\"1000\"]}");
        daemon.request("POST", "/job/warm-stop/stop?timeout=10000", Map.of(), null);
        daemon.delete("/job/warm-stop");
        // A body that comes late parks the handler's virtual thread on its socket: the JDK then starts its I/O
        // pollers (a MasterPoller thread and an epoll fd per poller), once and for good.
        byte[] head = "POST /job HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{"
                .getBytes(StandardCharsets.US_ASCII);
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                Socket socket = daemon.connect();
                socket.setSoTimeout(15_000);
                socket.getOutputStream().write(head);
                slow.add(socket);
            }
            Thread.sleep(300);
            for (Socket socket : slow) {
                socket.getOutputStream().write('}');
                String statusLine = new String(socket.getInputStream().readNBytes("HTTP/1.1 400".length()), StandardCharsets.US_ASCII);
                assertEquals("HTTP/1.1 400", statusLine, "a late body's answer");
            }
        } finally {
            for (Socket socket : slow) socket.close();
        }
    }

    static DaemonUsage of(int pid) throws IOException {
        Path proc = Path.of("/proc", Integer.toString(pid));
        Map<Integer, String> fds = new TreeMap<>();
        try (Stream<Path> entries = Files.list(proc.resolve("fd"))) {
            for (Path fd : entries.toList()) {
                try {
                    fds.put(Integer.parseInt(fd.getFileName().toString()), Files.readSymbolicLink(fd).toString());
                } catch (IOException closedMeanwhile) {
                    // gone between the listing and the read
                }
            }
        }
        Map<Integer, String> threads = new TreeMap<>();
        try (Stream<Path> entries = Files.list(proc.resolve("task"))) {
            for (Path task : entries.toList()) {
                try {
                    threads.put(Integer.parseInt(task.getFileName().toString()), Files.readString(task.resolve("comm")).strip());
                } catch (IOException endedMeanwhile) {
                    // gone between the listing and the read
                }
            }
        }
        return new DaemonUsage(fds, threads);
    }

    /** Once two readings a second apart agree: the daemon at rest. */
    static DaemonUsage settled(int pid) throws Exception {
        DaemonUsage[] last = {of(pid)};
        return Eventually.await("the daemon to be at rest", Duration.ofSeconds(60), () -> {
            Thread.sleep(1000);
            DaemonUsage now = of(pid);
            boolean same = now.fds.size() == last[0].fds.size() && now.threads.size() == last[0].threads.size();
            last[0] = now;
            return same ? now : null;
        }, usage -> usage != null);
    }

    /** Waits until the fds and threads are as many as at {@code baseline}, and says which are not if they never are. */
    static DaemonUsage await(int pid, DaemonUsage baseline, Duration patience) throws Exception {
        return await(pid, baseline, patience, "", now -> now.fds.size() <= baseline.fds.size() && now.threads.size() <= baseline.threads.size());
    }

    /**
     * Waits until the fds are at most {@code slack} more than at {@code baseline}: for a test that cares what the
     * daemon holds open, not how many carrier threads the JDK keeps for a while after a load.
     */
    static DaemonUsage awaitFds(int pid, DaemonUsage baseline, int slack, Duration patience) throws Exception {
        return await(pid, baseline, patience, " (" + slack + " fds more allowed)", now -> now.fds.size() <= baseline.fds.size() + slack);
    }

    private static DaemonUsage await(int pid, DaemonUsage baseline, Duration patience, String allowance,
                                     Predicate<DaemonUsage> back) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            DaemonUsage now = of(pid);
            if (back.test(now)) return now;
            if (System.nanoTime() > deadline) {
                throw new AssertionError("after " + patience.toSeconds() + " s the daemon holds " + now + ", at rest it held "
                        + baseline + allowance + "\n  fds now and not then: " + more(now.fds, baseline.fds)
                        + "\n  threads now and not then: " + more(now.threads, baseline.threads)
                        + "\n  sockets now and not then: " + sockets(now.fds, baseline.fds));
            }
            Thread.sleep(500);
        }
    }

    /** What {@code now} has beyond {@code then}, by kind: "socket x3", "ForkJoinPool-1- x2". */
    private static Map<String, Integer> more(Map<Integer, String> now, Map<Integer, String> then) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        now.values().forEach(v -> counts.merge(kind(v), 1, Integer::sum));
        then.values().forEach(v -> counts.merge(kind(v), -1, Integer::sum));
        counts.values().removeIf(n -> n <= 0);
        return counts;
    }

    /** The /proc/net lines of the sockets among {@code now} that were not in {@code then}. */
    private static List<String> sockets(Map<Integer, String> now, Map<Integer, String> then) throws IOException {
        List<String> lines = new ArrayList<>();
        for (Map.Entry<Integer, String> fd : now.entrySet()) {
            if (!fd.getValue().startsWith("socket:") || then.containsValue(fd.getValue())) continue;
            String inode = fd.getValue().replaceAll("\\D", "");
            String found = "fd " + fd.getKey() + ": inode " + inode + " in no table";
            for (String table : List.of("tcp", "tcp6", "udp", "udp6", "unix", "netlink")) {
                for (String line : Files.readAllLines(Path.of("/proc/net", table))) {
                    if (List.of(line.trim().split("\\s+")).contains(inode)) found = "fd " + fd.getKey() + " " + table + ": " + line.trim();
                }
            }
            lines.add(found);
        }
        return lines;
    }

    private static String kind(String what) {
        return what.replaceAll("\\[\\d+]|\\d+$", "");
    }

    @Override
    public String toString() {
        return fds.size() + " fds, " + threads.size() + " threads";
    }
}
