package jinit.watchdog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The gating: the keeper pets only in rounds where every probe shows progress, and through a shutdown that does. */
class WatchdogKeeperTest {
    /** A device that records what was done to it, as the bytes a driver would see. */
    static final class FakeDevice implements WatchdogKeeper.Device {
        final List<String> calls = new ArrayList<>();

        @Override
        public void keepAlive() {
            calls.add("keepalive");
        }
    }

    /** A probe whose answer the test sets. */
    static final class FakeProbe implements Probe {
        final String name;
        volatile String stalled;

        FakeProbe(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String stalled() {
            return stalled;
        }
    }

    final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    final FakeDevice device = new FakeDevice();
    final FakeProbe reaper = new FakeProbe("reaper");
    final FakeProbe api = new FakeProbe("api");
    final FakeProbe supervisor = new FakeProbe("supervisor");
    final List<String> console = new ArrayList<>();
    final WatchdogKeeper keeper = new WatchdogKeeper(device, "/dev/watchdog0", "fake", 12, List.of(reaper, api, supervisor),
            nanos::get, InstantSource.fixed(Instant.parse("2026-12-07T06:00:00Z")), millis -> nanos.addAndGet(millis * 1_000_000),
            console::add);

    void advance(long millis) {
        nanos.addAndGet(millis * 1_000_000);
    }

    @Test
    void petsAQuarterOfTheTimeoutApartWhenEveryProbePasses() throws Exception {
        assertEquals(3_000, keeper.intervalMillis());
        for (int i = 0; i < 5; i++) assertTrue(keeper.round());
        assertEquals(5, device.calls.size());
        assertEquals(5L, keeper.status().get("pets"));
        assertEquals("2026-12-07T06:00:00Z", keeper.status().get("lastPet"));
    }

    @Test
    void eachStalledProbeAloneStopsThePetting() throws Exception {
        for (FakeProbe probe : List.of(reaper, api, supervisor)) {
            probe.stalled = "stuck";
            int before = device.calls.size();
            assertFalse(keeper.round(), probe.name);
            assertFalse(keeper.round(), probe.name);
            assertEquals(before, device.calls.size(), probe.name + " stalled, yet the keeper petted");
            assertEquals(probe.name, keeper.status().get("stalled"));
            probe.stalled = null;
            assertTrue(keeper.round());
            assertNull(keeper.status().get("stalled"));
        }
    }

    @Test
    void aStalledProbeIsSaidOnceAndItsRecoveryOnce() throws Exception {
        api.stalled = "no answer within 2000 ms";
        for (int i = 0; i < 4; i++) keeper.round();
        assertEquals(1, console.stream().filter(l -> l.contains("api shows no progress (no answer within 2000 ms)")).count(), console.toString());
        api.stalled = null;
        keeper.round();
        keeper.round();
        assertEquals(1, console.stream().filter(l -> l.contains("api makes progress again")).count(), console.toString());
        supervisor.stalled = "lock";
        keeper.round();
        assertTrue(console.getLast().contains("supervisor shows no progress"), console.toString());
    }

    @Test
    void keepsPettingThroughAShutdownThatKeepsToItsBudgetsThenStopsAtTheLastStep() throws Exception {
        keeper.shutdownStep("2/5 stopping jobs", 15_000);
        for (int i = 0; i < 4; i++) {
            advance(3_000);
            assertTrue(keeper.round(), "round " + i + " within the step's budget");
        }
        keeper.shutdownStep("5/5 sync", 30_000);
        advance(3_000);
        assertTrue(keeper.round());
        keeper.finalStep();
        int pets = device.calls.size();
        for (int i = 0; i < 10; i++) {
            advance(3_000);
            assertFalse(keeper.round());
        }
        assertEquals(pets, device.calls.size(), "petted after the last step");
        // The device interface has no write: the magic close 'V' cannot even be expressed.
        assertTrue(device.calls.stream().allMatch("keepalive"::equals), device.calls.toString());
        assertEquals("final", keeper.status().get("shutdownStep"));
        assertEquals(true, keeper.status().get("armed"));
    }

    @Test
    void aShutdownStepThatOverrunsItsBudgetStopsThePetting() throws Exception {
        keeper.shutdownStep("3/5 stopping strays", 3_000);
        advance(2_000);
        assertTrue(keeper.round());
        advance(2_000);
        assertFalse(keeper.round());
        assertEquals("shutdown", keeper.status().get("stalled"));
        assertTrue(console.getLast().contains("step '3/5 stopping strays' has taken 4000 ms of its 3000 ms"), console.toString());
    }

    @Test
    void theProbesStillGateDuringAShutdown() throws Exception {
        keeper.shutdownStep("4/5 reaping", 3_000);
        reaper.stalled = "child 42 has been a zombie for 8000 ms";
        assertFalse(keeper.round());
        assertTrue(device.calls.isEmpty());
    }

    @Test
    void aProbeThatThrowsCountsAsStalled() throws Exception {
        WatchdogKeeper throwing = new WatchdogKeeper(device, "/dev/watchdog0", "fake", 12, List.of(new Probe() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public String stalled() {
                throw new IllegalStateException("bug");
            }
        }), nanos::get, InstantSource.system(), millis -> {}, console::add);
        assertFalse(throwing.round());
        assertTrue(device.calls.isEmpty());
        assertTrue(console.getLast().contains("broken shows no progress (the probe failed: java.lang.IllegalStateException: bug)"),
                console.toString());
    }

    @Test
    void aFailingPetIsSaidOnceAndTheKeeperCarriesOn() throws Exception {
        List<String> lines = new ArrayList<>();
        WatchdogKeeper failing = new WatchdogKeeper(() -> { throw new Exception("ioctl WDIOC_KEEPALIVE: EIO"); }, "/dev/watchdog",
                "fake", 20, List.of(), nanos::get, InstantSource.system(), millis -> {}, lines::add);
        assertFalse(failing.round());
        assertFalse(failing.round());
        assertEquals(1, lines.size(), lines.toString());
        assertEquals("ioctl WDIOC_KEEPALIVE: EIO", failing.status().get("petError"));
    }
}
