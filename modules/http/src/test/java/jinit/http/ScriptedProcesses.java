package jinit.http;

import jinit.api.ExitStatus;
import jinit.api.JobSpec;
import jinit.api.Signal;
import jinit.supervisor.LaunchException;
import jinit.supervisor.LogRing;
import jinit.supervisor.ProcessBackend;
import jinit.supervisor.Supervisor;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Processes in memory, for the routes' tests: what each one does is named by its exec path. Exits are reported on a
 * thread of their own, as the reaper reports them, and every process has a log pipe that closes when it ends.
 * <ul>
 *   <li>{@code /missing}: cannot start (a 422);</li>
 *   <li>{@code /echo}: writes its args as a line to stdout, then "to stderr" to stderr, and exits 0;</li>
 *   <li>{@code /exit}: exits at once with the code its first arg names;</li>
 *   <li>{@code /stubborn}: runs until KILL, whatever else it is sent;</li>
 *   <li>anything else: runs until TERM, INT, QUIT or KILL; other signals it survives.</li>
 * </ul>
 */
final class ScriptedProcesses implements ProcessBackend {
    private static final Set<Integer> DEADLY = Set.of(Signal.TERM, Signal.INT, Signal.QUIT, Signal.KILL);

    private record Process(int pid, JobSpec spec, JobOutput output) {}

    private final Map<Integer, Process> live = new ConcurrentHashMap<>();
    /** Pids whose end is on its way to the reaper: a process dies once, however many signals reach it. */
    private final Set<Integer> dying = ConcurrentHashMap.newKeySet();
    private final AtomicInteger nextPid = new AtomicInteger(100);
    private final ExecutorService reaper = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon(true).factory());
    private volatile Supervisor supervisor;

    void attach(Supervisor supervisor) {
        this.supervisor = supervisor;
    }

    @Override
    public PreparedLaunch prepare(String id, JobSpec spec, JobOutput output) throws LaunchException {
        if (spec.exec().equals("/missing")) throw new LaunchException("cannot start '/missing': No such file or directory (ENOENT)");
        return () -> {
            output.streamOpened();
            Process process = new Process(nextPid.getAndIncrement(), spec, output);
            live.put(process.pid(), process);
            switch (spec.exec()) {
                case "/echo" -> {
                    write(process, LogRing.Stream.STDOUT, String.join(" ", spec.args()) + "\n");
                    write(process, LogRing.Stream.STDERR, "to stderr\n");
                    end(process, new ExitStatus.Code(0));
                }
                case "/exit" -> end(process, new ExitStatus.Code(Integer.parseInt(spec.args().getFirst())));
                default -> { }
            }
            return process.pid();
        };
    }

    @Override
    public void signal(int pid, int signal) throws LaunchException {
        Process process = live.get(Math.abs(pid));
        if (process == null) throw new LaunchException("kill " + pid + ": No such process (ESRCH)");
        boolean dies = process.spec().exec().equals("/stubborn") ? signal == Signal.KILL : DEADLY.contains(signal);
        if (dies) end(process, new ExitStatus.Signaled(signal, false));
    }

    /** Output of the running job whose pid this is, as its pipe would carry it. */
    void write(int pid, LogRing.Stream stream, String text) {
        write(live.get(pid), stream, text);
    }

    private static void write(Process process, LogRing.Stream stream, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        process.output().write(stream, bytes, 0, bytes.length);
    }

    /** The process ends: its pipe reaches end of file, then the reaper reports it, from its own thread. */
    private void end(Process process, ExitStatus status) {
        if (!dying.add(process.pid())) return;
        reaper.execute(() -> {
            process.output().streamClosed();
            supervisor.childExited(process.pid(), status, () -> live.remove(process.pid()));
        });
    }
}
