package jinit.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * What a thread's death or a lasting lack of heap does to init: a lost request or log write is logged and
 * survived, a dead platform thread or a heap that stays exhausted stops init in order, or by force.
 */
class FailStopTest {
    record Request(Shutdown.Action action, int exitStatus, String reason) {}

    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<String> console = new CopyOnWriteArrayList<>();
    private final CountDownLatch forced = new CountDownLatch(1);
    private final AtomicLong clock = new AtomicLong();

    private FailStop failStop(boolean pid1, long forceAfterMillis) {
        FailStop failStop = new FailStop(pid1, forced::countDown, forceAfterMillis, console::add, clock::get);
        failStop.stopWith((action, status, reason) -> requests.add(new Request(action, status, reason)));
        return failStop;
    }

    /** Runs a thread of that kind that throws {@code error} and reports its death to {@code handler}; waits for it. */
    private static void die(Thread.Builder builder, Thread.UncaughtExceptionHandler handler, Throwable error) throws Exception {
        Thread thread = builder.uncaughtExceptionHandler(handler).unstarted(() -> {
            if (error instanceof Error e) throw e;
            throw (RuntimeException) error;
        });
        thread.start();
        thread.join();
    }

    private void advanceMillis(long millis) {
        clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    @Test
    void pid1RebootsInOrderWhenAPlatformThreadDiesOfOutOfMemory() throws Exception {
        FailStop failStop = failStop(true, 60_000);
        assertTrue(failStop.holdsReserve());
        die(Thread.ofPlatform().name("jinit-output"), failStop, new OutOfMemoryError("Java heap space"));
        assertEquals(List.of(new Request(Shutdown.Action.REBOOT, 70, "the death of thread jinit-output")), requests);
        assertFalse(failStop.holdsReserve(), "the reserve is let go for the orderly stop");
        assertTrue(console.getFirst().startsWith("fatal: the death of thread jinit-output (java.lang.OutOfMemoryError: Java heap space)"),
                console::toString);
        assertEquals(1, forced.getCount(), "no forced stop while the orderly one has time");
    }

    @Test
    void elsewhereInitExitsWithStatus70AndOnlyTheFirstDeathCounts() throws Exception {
        FailStop failStop = failStop(false, 60_000);
        die(Thread.ofPlatform().name("HTTP-Dispatcher"), failStop, new IllegalStateException("a bug"));
        die(Thread.ofPlatform().name("jinit-reaper"), failStop, new StackOverflowError());
        assertEquals(List.of(new Request(Shutdown.Action.EXIT, 70, "the death of thread HTTP-Dispatcher")), requests);
        assertTrue(console.getLast().startsWith("thread jinit-reaper died too"), console::toString);
    }

    @Test
    void aRequestsThreadDyingIsLoggedOnceASecondAndInitCarriesOn() throws Exception {
        FailStop failStop = failStop(true, 60_000);
        for (int i = 0; i < 5; i++) die(Thread.ofVirtual(), failStop, new IllegalStateException("a bug"));
        advanceMillis(1_000);
        die(Thread.ofVirtual(), failStop, new IllegalStateException("a bug"));
        assertEquals(List.of(), requests);
        assertTrue(failStop.holdsReserve());
        assertEquals(List.of("a request's thread died of java.lang.IllegalStateException: a bug; its answer is lost, init carries on",
                "a request's thread died of java.lang.IllegalStateException: a bug; its answer is lost, init carries on"
                        + " (4 more since the last such line)"), console);
    }

    @Test
    void outOfMemoryNowAndThenIsSurvived() throws Exception {
        FailStop failStop = failStop(true, 60_000);
        for (int i = 0; i < 10; i++) {
            die(Thread.ofVirtual(), failStop, new OutOfMemoryError("Java heap space"));
            failStop.survived(new OutOfMemoryError("Java heap space"));
            advanceMillis(FailStop.QUIET_GAP_MS); // each spike passes before the next
        }
        assertEquals(List.of(), requests);
        assertTrue(console.getFirst().startsWith("a request's thread was lost to java.lang.OutOfMemoryError"), console::toString);
    }

    @Test
    void outOfMemoryThatKeepsComingStopsInitInOrder() throws Exception {
        FailStop failStop = failStop(false, 60_000);
        for (long waited = 0; waited < FailStop.EXHAUSTED_FOR_MS; waited += 1_000) {
            failStop.survived(new OutOfMemoryError("Java heap space"));
            advanceMillis(1_000);
            assertEquals(List.of(), requests, "after " + waited + " ms");
        }
        failStop.survived(new OutOfMemoryError("Java heap space"));
        assertEquals(List.of(new Request(Shutdown.Action.EXIT, 70, "a heap that stayed exhausted for 10 s")), requests);
        assertFalse(failStop.holdsReserve());
    }

    @Test
    void anOrderlyStopThatDoesNotEndInitInTimeIsForced() throws Exception {
        FailStop failStop = failStop(true, 200);
        die(Thread.ofPlatform().name("jinit-spawner"), failStop, new OutOfMemoryError());
        assertEquals(1, requests.size());
        assertTrue(forced.await(30, TimeUnit.SECONDS), "forced after the deadline");
        assertTrue(console.getLast().startsWith("the orderly stop did not end init within 200 ms"), console::toString);
    }

    @Test
    void beforeInitCanStopInOrderTheStopIsForcedAtOnce() throws Exception {
        FailStop failStop = new FailStop(true, forced::countDown, 60_000, console::add, clock::get);
        die(Thread.ofPlatform().name("jinit-output"), failStop, new OutOfMemoryError());
        assertEquals(0, forced.getCount());
        assertTrue(console.getLast().startsWith("no orderly stop"), console::toString);
    }
}
