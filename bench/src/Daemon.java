import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** A daemon under test with an HTTP interface on a loopback port: its process, and its first answer. */
abstract class Daemon implements AutoCloseable {
    final Process process;
    final int port;
    /** exec until the first answered request. */
    final long startupNanos;

    Daemon(Process process, int port, long startupNanos) {
        this.process = process;
        this.port = port;
        this.startupNanos = startupNanos;
    }

    long pid() {
        return process.pid();
    }

    long rssKb() {
        return Proc.rssKb(pid());
    }

    Http connect() {
        return new Http("127.0.0.1", port);
    }

    /**
     * Polls {@code answered} (a connection refused counts as "not yet") every millisecond until it is true,
     * and returns System.nanoTime() of that moment. Fails when the process dies or 60 s pass, quoting its log.
     */
    static long awaitFirstAnswer(Process p, Path log, Callable<Boolean> answered) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        String last = "no answer";
        while (true) {
            try {
                if (answered.call()) return System.nanoTime();
                last = "an answer, but not the expected one";
            } catch (IOException e) {
                // not listening yet
            } catch (Exception e) {
                throw new IOException(e);
            }
            if (!p.isAlive() || System.nanoTime() > deadline) {
                String command = p.info().command().orElse("daemon");
                boolean died = !p.isAlive();
                Proc.stop(p, 5_000); // TERM first: nginx's workers must not outlive their master
                String tail = Files.exists(log) ? Files.readString(log) : "";
                throw new IOException(command + (died ? " died" : " gave " + last + " in 60 s")
                        + "; its log " + log + ":\n" + tail.substring(Math.max(0, tail.length() - 2000)));
            }
            Proc.sleep(1);
        }
    }
}
