package jinit.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jinit.api.ExitStatus;
import jinit.api.Signal;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** jinit-exec, and the whole of socket activation with libsystemd's own sd_listen_fds on the other side. */
class SocketActivationTest {
    private static final Posix POSIX = Children.POSIX;
    private static final Credentials NOBODY = new Credentials(65534, 65534, new int[] {65534});
    private static final String SD_ECHO = System.getProperty("jinit.test.sdEcho");

    private static String helper() throws SpawnException {
        return Posix.execHelper().toString();
    }

    /** Runs the request with stdout and stderr on pipes; returns {exit, stdout, stderr} once it has exited. */
    private static Object[] run(SpawnRequest template) throws Exception {
        FdPair out = POSIX.pipe();
        FdPair err = POSIX.pipe();
        int pid;
        try {
            pid = Children.spawn(new SpawnRequest(template.path(), template.argv(), template.envp(), template.cwd(),
                    template.credentials(), SpawnRequest.DEV_NULL, out.writeFd(), err.writeFd(), template.passFds()));
        } finally {
            POSIX.close(out.writeFd());
            POSIX.close(err.writeFd());
        }
        try (OutputPump pump = OutputPump.start(POSIX)) {
            OutputPumpTest.Recorder stdout = new OutputPumpTest.Recorder();
            OutputPumpTest.Recorder stderr = new OutputPumpTest.Recorder();
            pump.watch(out.readFd(), stdout);
            pump.watch(err.readFd(), stderr);
            return new Object[] {Children.awaitExit(pid), new String(stdout.await(), StandardCharsets.UTF_8),
                new String(stderr.await(), StandardCharsets.UTF_8), pid};
        }
    }

    private static SpawnRequest helperRequest(List<String> helperArgs, List<String> env, List<Integer> passFds)
            throws SpawnException {
        List<String> argv = new ArrayList<>();
        argv.add("jinit-exec");
        argv.add("-l");
        argv.add("--");
        argv.addAll(helperArgs);
        return new SpawnRequest(helper(), argv, env, null, null,
                SpawnRequest.DEV_NULL, SpawnRequest.DEV_NULL, SpawnRequest.DEV_NULL, passFds);
    }

    @Test
    void listenPidIsTheChildsOwnPid() throws Exception {
        Object[] result = run(helperRequest(List.of("/bin/sh", "sh", "-c", "echo $LISTEN_PID $$ $LISTEN_FDS"),
                List.of("LISTEN_FDS=1", "LISTEN_PID=1"), List.of()));
        assertEquals(new ExitStatus.Code(0), result[0]);
        int pid = (Integer) result[3];
        // The pid posix_spawn returned, the one the shell has, and LISTEN_PID are all the same process.
        assertEquals(pid + " " + pid + " 1\n", result[1]);
    }

    @Test
    void theProgramGetsExactlyItsOwnArgv() throws Exception {
        int pid = Children.spawn(helperRequest(List.of("/bin/sleep", "custom-name", "5"), List.of(), List.of()));
        try {
            assertEquals("custom-name\0" + "5\0", ProcFs.cmdlineOnceExeced(pid, "sleep"));
        } finally {
            stop(pid);
        }
    }

    @Test
    void passedFdsArriveAsThree() throws Exception {
        FdPair extra = POSIX.pipe();
        Object[] result;
        try {
            result = run(helperRequest(List.of("/bin/sh", "sh", "-c", "echo through-three >&3"), List.of(),
                    List.of(extra.writeFd())));
        } finally {
            POSIX.close(extra.writeFd());
        }
        assertEquals(new ExitStatus.Code(0), result[0]);
        byte[] buffer = new byte[64];
        int n = Fds.read(extra.readFd(), buffer);
        POSIX.close(extra.readFd());
        assertEquals("through-three\n", new String(buffer, 0, n, StandardCharsets.US_ASCII));
    }

    @Test
    void aMissingProgramExits127WithAMessage() throws Exception {
        Object[] result = run(helperRequest(List.of("/nonexistent/prog", "prog"), List.of(), List.of()));
        assertEquals(new ExitStatus.Code(127), result[0]);
        assertEquals("jinit-exec: exec /nonexistent/prog: No such file or directory\n", result[2]);
    }

    @Test
    void execHelperFollowsTheProperty(@TempDir Path dir) throws Exception {
        String saved = System.getProperty(Posix.EXEC_HELPER_PROPERTY);
        try {
            System.setProperty(Posix.EXEC_HELPER_PROPERTY, dir.resolve("missing").toString());
            SpawnException missing = assertThrows(SpawnException.class, Posix::execHelper);
            assertEquals(Errno.ENOENT, missing.errno());
            assertEquals("exec helper " + dir.resolve("missing") + ": No such file or directory (ENOENT); ship it as "
                    + "<java.home>/lib/jinit-exec or set -Djinit.execHelper", missing.getMessage());
            System.setProperty(Posix.EXEC_HELPER_PROPERTY, Files.writeString(dir.resolve("plain"), "").toString());
            assertEquals(Errno.EACCES, assertThrows(SpawnException.class, Posix::execHelper).errno());
        } finally {
            System.setProperty(Posix.EXEC_HELPER_PROPERTY, saved);
        }
        assertTrue(Files.isExecutable(Posix.execHelper()));
    }

    /** sd-echo as nobody on {@code fd}; the caller kills it. */
    private static int startSdEcho(int listenFd, int stderrFd) throws Exception {
        SpawnRequest request = new SpawnRequest(SD_ECHO, List.of("sd-echo"), List.of(), null, NOBODY,
                SpawnRequest.DEV_NULL, SpawnRequest.DEV_NULL, stderrFd, List.of(listenFd))
                .socketActivated(List.of("web"));
        return Children.spawn(request);
    }

    private static String answerOver(int port) throws IOException {
        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            client.setSoTimeout(10_000);
            return new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        }
    }

    private static void stop(int pid) throws Exception {
        POSIX.kill(pid, Signal.TERM);
        assertEquals(new ExitStatus.Signaled(Signal.TERM, false), Children.awaitExit(pid));
    }

    @Test
    void sdEchoServesAnUnprivilegedJobFromAnInheritedSocket() throws Exception {
        int fd = POSIX.listenAs("tcp://127.0.0.1:0", 0, 0);
        int port = Fds.localPort(fd);
        FdPair err = POSIX.pipe();
        try (OutputPump pump = OutputPump.start(POSIX)) {
            OutputPumpTest.Recorder stderr = new OutputPumpTest.Recorder();
            pump.watch(err.readFd(), stderr);
            int pid = startSdEcho(fd, err.writeFd());
            try {
                assertEquals("sd-echo: uid=65534", answerOver(port));
                assertEquals("sd-echo: uid=65534", answerOver(port));
            } finally {
                stop(pid);
            }
            POSIX.close(err.writeFd());
            // libsystemd accepted LISTEN_PID and LISTEN_FDS, and read the name from LISTEN_FDNAMES.
            assertEquals("sd-echo: serving fd 3 named web\n", new String(stderr.await(), StandardCharsets.US_ASCII));

            // init still holds the socket: a client that comes while no job runs waits in the backlog
            // instead of being refused, and the next instance of the job answers it.
            try (Socket early = new Socket()) {
                early.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                early.setSoTimeout(10_000);
                int next = startSdEcho(fd, SpawnRequest.DEV_NULL);
                try {
                    String line = new BufferedReader(new InputStreamReader(early.getInputStream(),
                            StandardCharsets.US_ASCII)).readLine();
                    assertEquals("sd-echo: uid=65534", line);
                } finally {
                    stop(next);
                }
            }
        } finally {
            POSIX.close(fd);
        }
    }

    @Test
    void anUnprivilegedJobServesAPrivilegedPort() throws Exception {
        int fd;
        try {
            fd = POSIX.listenAs("tcp://127.0.0.1:81", 0, 0);
        } catch (PosixException e) {
            Assumptions.assumeTrue(e.errno() != Errno.EADDRINUSE, "127.0.0.1:81 is taken on this machine");
            throw e;
        }
        try {
            int pid = startSdEcho(fd, SpawnRequest.DEV_NULL);
            try {
                ProcFs.cmdlineOnceExeced(pid, "sd-echo"); // past jinit-exec, which keeps root's real uid until its exec
                assertEquals("65534", ProcFs.status(pid).get("Uid").split("\t")[0]);
                assertEquals("sd-echo: uid=65534", answerOver(81));
            } finally {
                stop(pid);
            }
        } finally {
            POSIX.close(fd);
        }
    }

    @Test
    void sdEchoServesAUnixSocket(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("echo.sock");
        int fd = POSIX.listenAs("unix:" + path, 0, 0);
        try {
            int pid = startSdEcho(fd, SpawnRequest.DEV_NULL);
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                ByteArrayOutputStream answer = new ByteArrayOutputStream();
                ByteBuffer buffer = ByteBuffer.allocate(64);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (client.read(buffer.clear()) > 0 && System.nanoTime() < deadline) {
                    answer.write(buffer.array(), 0, buffer.position());
                }
                assertEquals("sd-echo: uid=65534\n", answer.toString(StandardCharsets.US_ASCII));
            } finally {
                stop(pid);
            }
        } finally {
            POSIX.close(fd);
        }
    }

    @Test
    void sdEchoRefusesToRunWithoutTheProtocol() throws Exception {
        int fd = POSIX.listenAs("tcp://127.0.0.1:0", 0, 0);
        try {
            // The fd is there as 3, but without LISTEN_PID libsystemd must not take it.
            Object[] result = run(new SpawnRequest(SD_ECHO, List.of("sd-echo"), List.of("LISTEN_FDS=1"), null, null,
                    SpawnRequest.DEV_NULL, SpawnRequest.DEV_NULL, SpawnRequest.DEV_NULL, List.of(fd)));
            assertEquals(new ExitStatus.Code(2), result[0]);
            assertEquals("sd-echo: expected exactly 1 fd from sd_listen_fds, got 0\n", result[2]);
        } finally {
            POSIX.close(fd);
        }
    }
}
