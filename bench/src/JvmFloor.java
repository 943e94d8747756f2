import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** bench/floor/JvmFloor.java on the runtime image's java (and so its baked flags): the JVM's share of a daemon. */
final class JvmFloor extends Daemon {
    private JvmFloor(Process process, int port, long startupNanos) {
        super(process, port, startupNanos);
    }

    static JvmFloor start(Path image, Path classes, Path log) throws IOException, InterruptedException {
        int port = Proc.freePort();
        long t0 = System.nanoTime();
        Process p = Proc.start(List.of(image.resolve("bin/java").toString(), "-cp", classes.toString(), "JvmFloor",
                Integer.toString(port)), log, Map.of());
        long ready = Daemon.awaitFirstAnswer(p, log, () -> {
            try (Http h = new Http("127.0.0.1", port)) {
                return h.get("/jobs").status() == 200;
            }
        });
        return new JvmFloor(p, port, ready - t0);
    }

    @Override
    public void close() throws InterruptedException {
        Proc.stop(process, 5_000);
    }
}
