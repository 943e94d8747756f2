package jinit.posix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import jinit.api.ExitStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputPumpTest {
    private static final Posix POSIX = Children.POSIX;
    private static final int EPIPE = 32;

    /** Collects one fd's bytes and checks the pump's promises: closed() once, and nothing after it. */
    static final class Recorder implements OutputPump.Sink {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final CompletableFuture<byte[]> done = new CompletableFuture<>();
        int closedCalls;
        int dataAfterClosed;
        int chunks;
        final List<Thread> threads = new ArrayList<>();

        @Override
        public synchronized void data(byte[] buffer, int offset, int length) {
            if (closedCalls > 0) {
                dataAfterClosed++;
            }
            chunks++;
            noteThread();
            bytes.write(buffer, offset, length);
        }

        @Override
        public synchronized void closed() {
            closedCalls++;
            noteThread();
            done.complete(bytes.toByteArray());
        }

        private void noteThread() {
            if (!threads.contains(Thread.currentThread())) {
                threads.add(Thread.currentThread());
            }
        }

        byte[] await() throws Exception {
            return done.get(30, TimeUnit.SECONDS);
        }

        synchronized void assertClosedOnceAfterAllData() {
            assertEquals(1, closedCalls, "closed() calls");
            assertEquals(0, dataAfterClosed, "data() calls after closed()");
        }
    }

    /** Spawns {@code argv} with stdout (and stdin, if given) on pipes; returns the pid and the stdout read end. */
    private static int[] spawnWithStdout(int stdin, String... argv) throws Exception {
        FdPair out = POSIX.pipe();
        try {
            int pid = Children.spawn(new SpawnRequest(argv[0], List.of(argv), List.of("PATH=/usr/bin:/bin"), null, null,
                    stdin, out.writeFd(), SpawnRequest.INHERIT, List.of()));
            return new int[] {pid, out.readFd()};
        } catch (SpawnException e) {
            POSIX.close(out.readFd());
            throw e;
        } finally {
            // The child holds its copy; ours must go, or the pipe would never reach end of file.
            POSIX.close(out.writeFd());
        }
    }

    /** This JVM's threads but its JIT compiler threads, which it starts on its own, more of them the more CPUs. */
    private static long threadCount() throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            return tasks.filter(task -> !compilerThread(task)).count();
        }
    }

    private static boolean compilerThread(Path task) {
        try {
            String name = Files.readString(task.resolve("comm")).strip();
            return name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre");
        } catch (IOException endedMeanwhile) {
            return true; // not counted: it is gone
        }
    }

    /** Live Java threads of that name; unlike /proc's task names, exact the moment start() or join() returns. */
    private static long threadsNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).count();
    }

    @Test
    void aMebibyteArrivesWholeAndInOrder(@TempDir Path dir) throws Exception {
        byte[] expected = new byte[1 << 20];
        new Random(42).nextBytes(expected);
        Path file = Files.write(dir.resolve("mib"), expected);
        try (OutputPump pump = OutputPump.start(POSIX)) {
            int[] child = spawnWithStdout(SpawnRequest.DEV_NULL, "/bin/cat", file.toString());
            String pipe = ProcFs.ownFdTarget(child[1]);
            Recorder sink = new Recorder();
            pump.watch(child[1], sink);
            assertArrayEquals(expected, sink.await());
            // cat could only finish because the pump kept draining: 1 MiB is 16 pipe buffers.
            assertEquals(new ExitStatus.Code(0), Children.awaitExit(child[0]));
            sink.assertClosedOnceAfterAllData();
            assertTrue(sink.chunks >= expected.length / OutputPump.BUFFER_SIZE, "chunks " + sink.chunks);
            assertEquals(1, sink.threads.size());
            assertEquals("jinit-output", sink.threads.get(0).getName());
            // The number may have been reused since, but not for this pipe.
            assertFalse(POSIX.isOpen(child[1]) && ProcFs.ownFdTarget(child[1]).equals(pipe),
                    "the pump closes the fd at end of file");
        }
    }

    @Test
    void twoHundredChildrenShareOnePumpThread() throws Exception {
        int children = 200;
        // Slack for threads the JVM starts on its own meanwhile (other than JIT compilers); far below one per pipe.
        int slack = 4;
        long outputThreadsBefore = threadsNamed("jinit-output");
        try (OutputPump pump = OutputPump.start(POSIX)) {
            long baseline = threadCount();
            assertEquals(outputThreadsBefore + 1, threadsNamed("jinit-output"));
            // Every child waits at `read` on a shared gate, so all 200 pipes are watched at once before any
            // output flows; then each writes about 130 KiB, twice a pipe's buffer, so none could finish undrained.
            FdPair gate = POSIX.pipe();
            List<int[]> spawned = new ArrayList<>();
            List<Recorder> sinks = new ArrayList<>();
            try {
                for (int i = 0; i < children; i++) {
                    int first = i * 100_000;
                    int[] child = spawnWithStdout(gate.readFd(), "/bin/sh", "-c",
                            "read gate; exec seq " + first + " " + (first + 19_999));
                    Recorder sink = new Recorder();
                    pump.watch(child[1], sink);
                    spawned.add(child);
                    sinks.add(sink);
                }
                assertTrue(threadCount() <= baseline + slack,
                        "threads grew from " + baseline + " to " + threadCount() + " with " + children + " pipes");
            } finally {
                POSIX.close(gate.readFd());
                POSIX.close(gate.writeFd()); // opens the gate: `read` sees end of file
            }
            for (int i = 0; i < children; i++) {
                int first = i * 100_000;
                String expected = IntStream.rangeClosed(first, first + 19_999)
                        .mapToObj(n -> n + "\n").collect(Collectors.joining());
                assertEquals(expected, new String(sinks.get(i).await(), StandardCharsets.US_ASCII), "child " + i);
                assertEquals(new ExitStatus.Code(0), Children.awaitExit(spawned.get(i)[0]));
            }
            assertTrue(threadCount() <= baseline + slack, "threads grew from " + baseline + " to " + threadCount());
            pump.close(); // joins the thread: every callback has happened
            for (Recorder sink : sinks) {
                sink.assertClosedOnceAfterAllData();
            }
        }
        assertEquals(outputThreadsBefore, threadsNamed("jinit-output"), "close() ends the thread");
    }

    @Test
    void anEmptyStreamIsJustClosed() throws Exception {
        try (OutputPump pump = OutputPump.start(POSIX)) {
            int[] child = spawnWithStdout(SpawnRequest.DEV_NULL, "/bin/true");
            Recorder sink = new Recorder();
            pump.watch(child[1], sink);
            assertEquals(0, sink.await().length);
            assertEquals(new ExitStatus.Code(0), Children.awaitExit(child[0]));
            pump.close();
            sink.assertClosedOnceAfterAllData();
            assertEquals(0, sink.chunks);
        }
    }

    @Test
    void aSinkThatThrowsDoesNotStopThePump() throws Exception {
        try (OutputPump pump = OutputPump.start(POSIX)) {
            CompletableFuture<Void> badClosed = new CompletableFuture<>();
            OutputPump.Sink bad = new OutputPump.Sink() {
                @Override
                public void data(byte[] buffer, int offset, int length) {
                    throw new IllegalStateException("test sink refuses data");
                }

                @Override
                public void closed() {
                    badClosed.complete(null);
                    throw new IllegalStateException("test sink refuses to close");
                }
            };
            int[] first = spawnWithStdout(SpawnRequest.DEV_NULL, "/bin/sh", "-c", "seq 1 50000");
            pump.watch(first[1], bad);
            badClosed.get(30, TimeUnit.SECONDS);
            // The pump still serves others afterwards.
            int[] second = spawnWithStdout(SpawnRequest.DEV_NULL, "/bin/sh", "-c", "echo still here");
            Recorder good = new Recorder();
            pump.watch(second[1], good);
            assertEquals("still here\n", new String(good.await(), StandardCharsets.US_ASCII));
            assertEquals(new ExitStatus.Code(0), Children.awaitExit(first[0]));
            assertEquals(new ExitStatus.Code(0), Children.awaitExit(second[0]));
        }
    }

    @Test
    void closeClosesWhatIsStillWatchedAndTellsTheSinks() throws Exception {
        FdPair pipe = POSIX.pipe();
        Recorder sink = new Recorder();
        OutputPump pump = OutputPump.start(POSIX);
        pump.watch(pipe.readFd(), sink);
        byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
        Fds.write(pipe.writeFd(), hello);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sink.bytes.size() < hello.length && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        pump.close();
        assertArrayEquals(hello, sink.await());
        sink.assertClosedOnceAfterAllData();
        // Our write end now has no reader.
        PosixException e = assertThrows(PosixException.class, () -> Fds.write(pipe.writeFd(), hello));
        assertEquals(EPIPE, e.errno());
        POSIX.close(pipe.writeFd());
        pump.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> pump.watch(0, sink));
    }

    @Test
    void watchRefusesWhatEpollCannotWatchAndLeavesTheFdToTheCaller(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("regular"), "x");
        int fd = POSIX.open(file.toString(), OpenFlags.O_RDONLY, 0);
        try (OutputPump pump = OutputPump.start(POSIX)) {
            PosixException e = assertThrows(PosixException.class, () -> pump.watch(fd, new Recorder()));
            assertEquals("epoll_ctl " + fd + ": Operation not permitted (EPERM)", e.getMessage());
            assertTrue(POSIX.isOpen(fd));

            FdPair pipe = POSIX.pipe();
            pump.watch(pipe.readFd(), new Recorder());
            assertThrows(IllegalArgumentException.class, () -> pump.watch(pipe.readFd(), new Recorder()));
            POSIX.close(pipe.writeFd());
        } finally {
            POSIX.close(fd);
        }
    }

    @Test
    void epollEventLayoutFollowsTheArchitecture() {
        assertEquals(new OutputPump.EpollEventLayout(12, 4), OutputPump.EpollEventLayout.forArch("amd64"));
        assertEquals(new OutputPump.EpollEventLayout(16, 8), OutputPump.EpollEventLayout.forArch("aarch64"));
    }
}
