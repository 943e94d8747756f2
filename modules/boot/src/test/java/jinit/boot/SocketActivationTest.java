package jinit.boot;

import static jinit.boot.JobAssertions.assertError;
import static jinit.boot.JobAssertions.assertErrorContaining;
import static jinit.boot.JobAssertions.assertNoContent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pre-opened descriptors (issue 4) with a real consumer of systemd's protocol: {@code sd-echo}, linked
 * with libsystemd, which serves fd 3 only if {@code sd_listen_fds()} accepts what init passed. It
 * runs as {@code nobody} on a privileged port that only init could bind.
 */
class SocketActivationTest extends OneDaemonPerClass {
    private static final int NOBODY = 65534;
    private static final String ANSWER = "sd-echo: uid=" + NOBODY;

    private static Path sdEcho;

    @BeforeAll
    static void findSdEcho() throws Exception {
        sdEcho = sdEcho();
    }

    /**
     * The posix module's test build compiles sd-echo (-Djinit.test.sdEcho names it there); a build run
     * with -DskipTests does not, so it is compiled here with the same script when it is missing.
     */
    private static Path sdEcho() throws Exception {
        String configured = System.getProperty("jinit.test.sdEcho");
        if (configured != null) return Path.of(configured);
        Path posix = Path.of(System.getProperty("user.dir")).toAbsolutePath().resolveSibling("posix");
        Path built = posix.resolve("target/native/sd-echo");
        if (Files.isExecutable(built)) return built;
        Path own = Files.createDirectories(Daemon.WORK).resolve("sd-echo");
        if (!Files.isExecutable(own)) {
            Processes.Result result = Processes.run(posix.resolve("src/test/c/build-sd-echo").toString(), own.toString());
            assertEquals(0, result.status().shellStatus(), () -> "building sd-echo: " + result);
        }
        return own;
    }

    /** A privileged TCP port free on 127.0.0.1 right now. */
    private static int freePrivilegedPort() {
        for (int port = 81; port < 1024; port++) {
            if (bindable(port)) return port;
        }
        throw new AssertionError("no free port below 1024 on 127.0.0.1");
    }

    private static boolean bindable(int port) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String sdEchoSpec(String listen, String extra) {
        return "{\"exec\":" + Json.write(sdEcho.toString()) + ",\"user\":\"nobody\",\"fds\":[{\"listen\":" + Json.write(listen)
                + ",\"name\":\"web\"}]" + extra + "}";
    }

    /** Starts sd-echo under {@code id} and waits until it answers on {@code port}; returns its pid. */
    private int startServing(String id, String spec, int port) throws Exception {
        int pid = daemon.start(id, spec);
        ProcFs.awaitExec(pid, List.of(sdEcho.toString()));
        assertEquals(ANSWER, ask(port));
        return pid;
    }

    /** Connects to the port and reads the one line sd-echo answers. */
    private static String ask(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.setSoTimeout((int) Eventually.PATIENCE.toMillis());
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
            return readAnswer(socket.getInputStream());
        }
    }

    private static String readAnswer(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
    }

    private static Set<String> listenEnvironment(int pid) throws IOException {
        return Set.copyOf(ProcFs.environ(pid).stream().filter(entry -> entry.startsWith("LISTEN_")).toList());
    }

    @Test
    void anUnprivilegedConsumerServesAPrivilegedPortThroughSdListenFds() throws Exception {
        int port = freePrivilegedPort();
        int pid = startServing("sd-echo", sdEchoSpec("tcp://127.0.0.1:" + port, ""), port);
        assertEquals(ANSWER, ask(port), "it serves every connection");
        assertEquals(List.of(NOBODY, NOBODY, NOBODY, NOBODY), ProcFs.ids(pid, "Uid"));
        assertEquals(Set.of("LISTEN_PID=" + pid, "LISTEN_FDS=1", "LISTEN_FDNAMES=web"), listenEnvironment(pid));
        assertTrue(ProcFs.fdTarget(pid, 3).startsWith("socket:["), ProcFs.fdTarget(pid, 3));
        assertEquals(Set.of(0, 1, 2, 3), ProcFs.fds(pid), "fd 3 and nothing more");
        Eventually.await("sd-echo's report in the log", () -> daemon.get("/job/sd-echo/log?stream=stderr").text(),
                "sd-echo: serving fd 3 named web\n"::equals);

        Map<String, Object> stopped = stop("sd-echo", "").json();
        assertEquals(Map.of("signal", "TERM"), stopped.get("exit"));
        // Ended but not deleted: init still holds the socket.
        assertTrue(!bindable(port), "the port stays taken until the job is deleted");
        assertNoContent(daemon.delete("/job/sd-echo"));
        assertThrows(ConnectException.class, () -> ask(port), "nobody listens after DELETE");
        assertTrue(bindable(port), "the port is free again after DELETE");
    }

    @Test
    void aClientConnectingWhileTheJobRestartsIsServedByTheNextProcess() throws Exception {
        int port = freePrivilegedPort();
        int first = startServing("sd-restart", sdEchoSpec("tcp://127.0.0.1:" + port,
                ",\"restart\":{\"policy\":\"always\",\"delay\":2000}"), port);
        assertNoContent(daemon.put("/job/sd-restart/sig/KILL"));
        Eventually.await("the restart to be scheduled", () -> daemon.job("sd-restart"), job -> "backoff".equals(job.get("state")));
        try (Socket socket = new Socket()) {
            socket.setSoTimeout((int) Eventually.PATIENCE.toMillis());
            // Not refused: the listening socket is init's, and the kernel queues the connection.
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
            assertEquals("backoff", daemon.job("sd-restart").get("state"), "connected while no process served the port");
            assertEquals(ANSWER, readAnswer(socket.getInputStream()), "answered by the restarted process");
        }
        Map<String, Object> job = daemon.job("sd-restart");
        assertEquals("running", job.get("state"));
        assertEquals(1, job.get("restarts"));
        int second = (Integer) job.get("pid");
        assertNotEquals(first, second);
        ProcFs.awaitExec(second, List.of(sdEcho.toString()));
        assertEquals(Set.of("LISTEN_PID=" + second, "LISTEN_FDS=1", "LISTEN_FDNAMES=web"), listenEnvironment(second));
        assertEquals(ANSWER, ask(port));

        assertEquals(200, stop("sd-restart", "").status());
        assertNoContent(daemon.delete("/job/sd-restart"));
        assertTrue(bindable(port), "the port is free again after DELETE");
    }

    @Test
    void aUnixSocketIsPassedToo() throws Exception {
        Path path = scratchFile("sd-echo.sock");
        String spec = "{\"exec\":" + Json.write(sdEcho.toString()) + ",\"fds\":[{\"listen\":" + Json.write("unix:" + path)
                + ",\"name\":\"local\"}]}";
        int pid = daemon.start("sd-unix", spec);
        ProcFs.awaitExec(pid, List.of(sdEcho.toString()));
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(path));
            ByteBuffer answer = ByteBuffer.allocate(64);
            while (channel.read(answer) >= 0) {
                // until sd-echo closes
            }
            assertEquals("sd-echo: uid=0\n", new String(answer.array(), 0, answer.position(), StandardCharsets.US_ASCII));
        }
        assertEquals(200, stop("sd-unix", "").status());
        assertNoContent(daemon.delete("/job/sd-unix"));
    }

    @Test
    void aFileArrivesAsFdThreeWithTheProtocolsVariables() throws Exception {
        Path file = scratchFile("fd3.txt");
        String spec = sh("echo \"$LISTEN_FDS $LISTEN_FDNAMES $LISTEN_PID $$\" >&3",
                "\"fds\":[{\"file\":" + Json.write(file.toString()) + ",\"mode\":\"w\",\"name\":\"out\"}]");
        int pid = daemon.start("fd-file", spec);
        Map<String, Object> job = daemon.awaitEnded("fd-file");
        String log = wholeLog("fd-file", "");
        assertEquals(Map.of("code", 0), job.get("exit"), () -> job + "\n" + log);
        assertEquals("1 out " + pid + " " + pid + "\n", Files.readString(file));
    }

    @Test
    void severalDescriptorsComeInSpecOrder() throws Exception {
        int port = freePrivilegedPort();
        Path file = scratchFile("fd4.txt");
        Files.writeString(file, "data\n");
        String spec = "{\"exec\":\"/bin/sleep\",\"args\":[\"60\"],\"fds\":[{\"listen\":\"tcp://127.0.0.1:" + port
                + "\",\"name\":\"web\"},{\"file\":" + Json.write(file.toString()) + ",\"mode\":\"r\",\"name\":\"data\"}]}";
        int pid = daemon.start("fd-order", spec);
        ProcFs.awaitExec(pid, List.of("/bin/sleep", "60"));
        assertEquals(Set.of("LISTEN_PID=" + pid, "LISTEN_FDS=2", "LISTEN_FDNAMES=web:data"), listenEnvironment(pid));
        assertTrue(ProcFs.fdTarget(pid, 3).startsWith("socket:["), ProcFs.fdTarget(pid, 3));
        assertEquals(file.toString(), ProcFs.fdTarget(pid, 4));
        assertEquals(Set.of(0, 1, 2, 3, 4), ProcFs.fds(pid));
        assertEquals(200, stop("fd-order", "").status());
        assertNoContent(daemon.delete("/job/fd-order"));
    }

    @Test
    void aJobReplacedUnderItsIdBindsItsPortAfresh() throws Exception {
        int port = freePrivilegedPort();
        String spec = sdEchoSpec("tcp://127.0.0.1:" + port, "");
        startServing("sd-replaced", spec, port);
        assertEquals(200, stop("sd-replaced", "").status());
        startServing("sd-replaced", spec, port);
        assertEquals(200, stop("sd-replaced", "").status());
        assertNoContent(daemon.delete("/job/sd-replaced"));
        assertTrue(bindable(port), "the port is free again after DELETE");
    }

    @Test
    void aUdpSocketIsBoundBeforeTheSpawnAndHeldByInit() throws Exception {
        int port;
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            port = probe.getLocalPort();
        }
        int pid = daemon.start("udp", "{\"exec\":\"/bin/sleep\",\"args\":[\"60\"],\"fds\":[{\"listen\":\"udp://127.0.0.1:" + port
                + "\",\"name\":\"dns\"}]}");
        ProcFs.awaitExec(pid, List.of("/bin/sleep", "60"));
        assertEquals(Set.of("LISTEN_PID=" + pid, "LISTEN_FDS=1", "LISTEN_FDNAMES=dns"), listenEnvironment(pid));
        assertTrue(ProcFs.fdTarget(pid, 3).startsWith("socket:["), ProcFs.fdTarget(pid, 3));
        assertThrows(SocketException.class, () -> new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)).close(),
                "the port is taken");
        assertEquals(200, stop("udp", "").status());
        assertNoContent(daemon.delete("/job/udp"));
        new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)).close();
    }

    @Test
    void aPortThatCannotBeBoundIs422AndLeavesNoJob() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String spec = sdEchoSpec("tcp://127.0.0.1:" + taken.getLocalPort(), "");
            assertErrorContaining(422, "(EADDRINUSE)", daemon.put("/job/sd-taken", spec));
            assertError(404, "no job 'sd-taken'", daemon.get("/job/sd-taken"));
        }
    }
}
