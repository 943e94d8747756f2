package jinit.watchdog;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What each probe counts as progress, against real sockets and a scripted child table. */
class ProbesTest {
    @Test
    void theReaperIsStalledOnlyWhenTheSameZombieOutlivesTheBound() throws Exception {
        AtomicInteger zombie = new AtomicInteger();
        AtomicLong nanos = new AtomicLong();
        Probe probe = Probes.reaper(zombie::get, nanos::get);
        assertNull(probe.stalled(), "no zombie");
        zombie.set(42);
        assertNull(probe.stalled(), "a zombie just seen");
        nanos.addAndGet(Probes.REAPER_BOUND_MILLIS * 1_000_000);
        assertNull(probe.stalled(), "a zombie as old as the bound");
        zombie.set(43);
        assertNull(probe.stalled(), "42 was reaped: another zombie is progress");
        nanos.addAndGet((Probes.REAPER_BOUND_MILLIS + 1) * 1_000_000);
        String stalled = probe.stalled();
        assertNotNull(stalled);
        assertTrue(stalled.contains("child 43"), stalled);
        zombie.set(0);
        assertNull(probe.stalled(), "reaped at last");
    }

    @Test
    void theApiProbePassesOnAnAnswerAndFailsOnAServerThatNeverAccepts() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread answering = Thread.ofVirtual().start(() -> {
                try (Socket client = server.accept()) {
                    InputStream in = client.getInputStream();
                    String head = new String(in.readNBytes(4), StandardCharsets.US_ASCII);
                    if (head.equals("GET ")) client.getOutputStream().write("HTTP/1.1 200 OK\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // the probe reports it
                }
            });
            Probe probe = Probes.api((InetSocketAddress) server.getLocalSocketAddress(), "t0ken");
            assertNull(probe.stalled());
            answering.join();
            // Nobody accepts now: the connection waits in the backlog, as behind a stuck dispatcher.
            long start = System.nanoTime();
            String stalled = probe.stalled();
            assertNotNull(stalled);
            assertTrue(stalled.contains("within " + Probes.API_BOUND_MILLIS + " ms"), stalled);
            assertTrue(System.nanoTime() - start < (Probes.API_BOUND_MILLIS + 1_000) * 1_000_000, "the probe kept to its bound");
        }
    }

    @Test
    void theApiProbeCountsAConnectionClosedAtAcceptAsServed() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try {
                    server.accept().close(); // as jdk.httpserver does over its connection limit
                } catch (IOException e) {
                    // the probe reports it
                }
            });
            assertNull(Probes.api((InetSocketAddress) server.getLocalSocketAddress(), null).stalled());
        }
    }

    @Test
    void theApiProbeFailsWhenNothingListens() throws Exception {
        InetSocketAddress gone;
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            gone = (InetSocketAddress) server.getLocalSocketAddress();
        }
        assertNotNull(Probes.api(gone, null).stalled());
    }
}
