package jinit.watchdog;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import jinit.supervisor.Supervisor;

/**
 * The three probes: what "progress" means for each part of init. Their bounds sit above what each part may
 * legitimately take; {@link Watchdog#MIN_TIMEOUT_SECONDS} sits above their sum.
 */
public final class Probes {
    /**
     * The supervisor's lock is held at most while one process starts: up to jinit-exec's report timeout
     * (PosixSpawner.REPORT_TIMEOUT_MS, 5 s), and a second more for the rest of that start.
     */
    public static final long LOCK_BOUND_MILLIS = 6_000;
    /** A request to the own API, a few hundred bytes over loopback, answered within this. */
    public static final long API_BOUND_MILLIS = 2_000;
    /**
     * A child that ended is reaped within this: the reaper records each exit under the supervisor's lock, so it may
     * wait as long as {@link #LOCK_BOUND_MILLIS}.
     */
    public static final long REAPER_BOUND_MILLIS = LOCK_BOUND_MILLIS + 1_000;

    private Probes() {}

    /** What {@code probe} finds, where a probe that throws (a bug) counts as stalled: it costs a pet, not init's thread. */
    static String check(Probe probe) throws InterruptedException {
        try {
            return probe.stalled();
        } catch (RuntimeException e) {
            return "the probe failed: " + e;
        }
    }

    /** The supervisor's lock can be taken within {@link #LOCK_BOUND_MILLIS}: the job table is not stuck. */
    public static Probe supervisor(Supervisor supervisor) {
        return new Probe() {
            @Override
            public String name() {
                return "supervisor";
            }

            @Override
            public String stalled() throws InterruptedException {
                return supervisor.lockFreeWithin(LOCK_BOUND_MILLIS) ? null
                        : "its lock was not free within " + LOCK_BOUND_MILLIS + " ms";
            }
        };
    }

    /**
     * A real request to the API, over loopback, answered within {@link #API_BOUND_MILLIS}: a connection the
     * server's dispatcher never accepts (it is stuck) sits in the kernel's backlog and times out. Any status line
     * counts, and so does a connection the server closes at once (the connection limit reached: the dispatcher
     * ran), so a flood of connections from some user does not reset the board.
     *
     * @param address where the API listens (a wildcard address is reached through loopback)
     * @param token   the admin token, or null: sent so that a probe never shows up as a refused request
     */
    public static Probe api(InetSocketAddress address, String token) {
        InetSocketAddress target = address.getAddress().isAnyLocalAddress()
                ? new InetSocketAddress(InetAddress.getLoopbackAddress(), address.getPort()) : address;
        byte[] request = ("GET /system HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n").getBytes(StandardCharsets.US_ASCII);
        return new Probe() {
            @Override
            public String name() {
                return "api";
            }

            @Override
            public String stalled() {
                long deadline = System.nanoTime() + API_BOUND_MILLIS * 1_000_000;
                try (Socket socket = new Socket()) {
                    socket.connect(target, (int) API_BOUND_MILLIS);
                    OutputStream out = socket.getOutputStream();
                    out.write(request);
                    out.flush();
                    int left = (int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                    socket.setSoTimeout(left);
                    InputStream in = socket.getInputStream();
                    byte[] head = new byte[12];
                    int got = in.readNBytes(head, 0, head.length);
                    if (got == 0) return null; // closed at accept: over the connection limit, but served
                    String status = new String(head, 0, got, StandardCharsets.US_ASCII);
                    return status.startsWith("HTTP/1.1 ") ? null : "an answer that is no HTTP: " + status.strip();
                } catch (SocketTimeoutException e) {
                    return "no answer from " + target + " within " + API_BOUND_MILLIS + " ms";
                } catch (IOException e) {
                    return "no answer from " + target + ": " + e.getMessage();
                }
            }
        };
    }

    /**
     * No child stays a zombie for longer than {@link #REAPER_BOUND_MILLIS}: the reaper is either blocked in waitid
     * with nothing to reap, or reaping. {@code unreapedChild} is {@link jinit.posix.Posix#unreapedChild}.
     */
    public static Probe reaper(IntSupplier unreapedChild, LongSupplier nanoTime) {
        return new Probe() {
            private int seenPid;
            private long seenSince;

            @Override
            public String name() {
                return "reaper";
            }

            @Override
            public String stalled() {
                int pid = unreapedChild.getAsInt();
                long now = nanoTime.getAsLong();
                if (pid != seenPid) {
                    seenPid = pid;
                    seenSince = now;
                    return null;
                }
                long forMillis = (now - seenSince) / 1_000_000;
                return pid != 0 && forMillis > REAPER_BOUND_MILLIS
                        ? "child " + pid + " has been a zombie for " + forMillis + " ms" : null;
            }
        };
    }
}
