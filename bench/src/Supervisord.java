import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One supervisord (Debian's supervisor package), with its own configuration in a private directory and
 * its XML-RPC interface on a free loopback port. Programs are added while it runs the way supervisord
 * allows: a file in its [include] directory, then reloadConfig and addProcessGroup.
 */
final class Supervisord extends Daemon {
    private final Path dir;

    private Supervisord(Process process, int port, long startupNanos, Path dir) {
        super(process, port, startupNanos);
        this.dir = dir;
    }

    static Supervisord start(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir.resolve("conf.d"));
        int port = Proc.freePort();
        // user=root only silences the "running as root" warning; loglevel=warn keeps its log quiet per start.
        Files.writeString(dir.resolve("supervisord.conf"), """
                [supervisord]
                nodaemon=true
                user=root
                logfile=%1$s/supervisord.log
                pidfile=%1$s/supervisord.pid
                childlogdir=%1$s
                loglevel=warn
                [inet_http_server]
                port=127.0.0.1:%2$d
                [rpcinterface:supervisor]
                supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
                [include]
                files = %1$s/conf.d/*.conf
                """.formatted(dir, port));
        Path log = dir.resolve("stdout.log");
        long t0 = System.nanoTime();
        Process p = Proc.start(List.of("supervisord", "-c", dir.resolve("supervisord.conf").toString()), log, null);
        long ready = Daemon.awaitFirstAnswer(p, log, () -> {
            try (Http h = new Http("127.0.0.1", port)) {
                return call(h, "supervisor.getState").contains("RUNNING");
            }
        });
        return new Supervisord(p, port, ready - t0, dir);
    }

    /** The XML-RPC request body for a call; strings, booleans and ints as parameters. */
    static String request(String method, Object... params) {
        StringBuilder body = new StringBuilder("<?xml version=\"1.0\"?><methodCall><methodName>").append(method)
                .append("</methodName><params>");
        for (Object param : params) {
            body.append("<param><value>");
            switch (param) {
                case Boolean b -> body.append("<boolean>").append(b ? 1 : 0).append("</boolean>");
                case Integer i -> body.append("<int>").append(i).append("</int>");
                default -> body.append("<string>").append(param).append("</string>");
            }
            body.append("</value></param>");
        }
        return body.append("</params></methodCall>").toString();
    }

    /** Calls a method; returns the XML answer, or fails with supervisord's fault string. */
    static String call(Http h, String method, Object... params) throws IOException {
        Http.Response r = h.send("POST", "/RPC2", "text/xml", request(method, params));
        String text = r.text();
        if (r.status() != 200 || text.contains("<fault>")) throw new IOException(method + ": " + r.status() + " " + text);
        return text;
    }

    /**
     * startProcess(name, wait=true): answers once the process is RUNNING. A process that is already gone by
     * then (/bin/true often is: supervisord reaps right after spawning) makes supervisord answer fault 40
     * ABNORMAL_TERMINATION even though it started and exited 0; for a start that counts as done.
     *
     * @return whether supervisord answered that fault
     */
    static boolean startProcess(Http h, String name) throws IOException {
        Http.Response r = h.send("POST", "/RPC2", "text/xml", request("supervisor.startProcess", name, true));
        String text = r.text();
        if (r.status() == 200 && !text.contains("<fault>")) return false;
        if (r.status() == 200 && text.contains("ABNORMAL_TERMINATION")) return true;
        throw new IOException("supervisor.startProcess " + name + ": " + r.status() + " " + text);
    }

    /**
     * Adds a program group of {@code numprocs} processes named NAME:NAME_0.. running {@code command}, not
     * started. startsecs=0: a process counts as started once spawned, as a jinit job does; no log files.
     */
    void addGroup(Http h, String name, String command, int numprocs) throws IOException {
        Files.writeString(dir.resolve("conf.d/" + name + ".conf"), """
                [program:%s]
                command=%s
                process_name=%%(program_name)s_%%(process_num)d
                numprocs=%d
                autostart=false
                autorestart=false
                startsecs=0
                stopwaitsecs=10
                stdout_logfile=NONE
                stderr_logfile=NONE
                """.formatted(name, command, numprocs));
        call(h, "supervisor.reloadConfig");
        call(h, "supervisor.addProcessGroup", name);
    }

    /** Stops what still runs in the group, then removes it (supervisord's "delete"). */
    void removeGroup(Http h, String name) throws IOException {
        call(h, "supervisor.stopProcessGroup", name, true);
        call(h, "supervisor.removeProcessGroup", name);
        Files.deleteIfExists(dir.resolve("conf.d/" + name + ".conf"));
        call(h, "supervisor.reloadConfig");
    }

    private static final Pattern STATE = Pattern.compile("<name>statename</name>\\s*<value><string>(\\w+)</string>");

    /** How many processes are in each state (RUNNING, EXITED, STOPPED...), from getAllProcessInfo. */
    static Map<String, Integer> states(Http h) throws IOException {
        Map<String, Integer> counts = new HashMap<>();
        Matcher m = STATE.matcher(call(h, "supervisor.getAllProcessInfo"));
        while (m.find()) counts.merge(m.group(1), 1, Integer::sum);
        return counts;
    }

    /** Polls (1 ms apart) until no process is STARTING, RUNNING or STOPPING; returns System.nanoTime() then. */
    static long awaitNoneRunning(Http h, long timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (true) {
            Map<String, Integer> s = states(h);
            long now = System.nanoTime();
            int active = s.getOrDefault("STARTING", 0) + s.getOrDefault("RUNNING", 0) + s.getOrDefault("STOPPING", 0);
            if (active == 0) return now;
            if (now > deadline) throw new IOException("supervisord: " + active + " processes still active after " + timeoutMillis + " ms");
            Proc.sleep(1);
        }
    }

    /** SIGTERM: supervisord stops its processes and exits. */
    @Override
    public void close() throws InterruptedException {
        Proc.stop(process, 20_000);
    }
}
