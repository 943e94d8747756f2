package jinit.supervisor;

import jinit.api.AccountRef;
import jinit.api.FdSpec;
import jinit.api.Stdio;
import jinit.api.Job;
import jinit.api.JobSpec;
import jinit.supervisor.JobException.Reason;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The rules for callers that are not admin. The job API is root code execution, so a non-admin may only
 * ever start processes as itself: the rules here make sure no spec it sends can run as anyone else.
 * Per-job rules (signal, stop, delete, logs: own jobs only) are checked by the supervisor under its lock.
 */
public final class AccessPolicy {
    static final String REDACTED = "<redacted>";

    private final Directory directory;

    public AccessPolicy(Directory directory) {
        this.directory = directory;
    }

    /**
     * What a caller may start: an admin anything; anyone else only as itself (a missing user becomes the
     * caller) with a group it belongs to, under an id of its own ({@code NAME.anything}, when it chooses one),
     * and with a minimal environment of its own when it gives none.
     *
     * @param id the id a PUT chooses; null for a POST, whose id is generated
     */
    public JobSpec admitStart(Caller caller, String id, JobSpec spec) throws JobException {
        if (caller.admin()) return spec;
        // Groups come from the passwd entry: a uid without one has none to claim, and never its own number as gid.
        Directory.Account account = directory.account(caller.uid()).orElseThrow(() -> forbidden("rule 'known account': uid "
                + caller.uid() + " has no entry in /etc/passwd, so it has no groups to start a job with"));
        if (id != null && !id.startsWith(account.name() + ".")) {
            // Otherwise any user could take the ids the boot script will ask for (sshd, web, ...) before it does.
            throw forbidden("rule 'your own ids': uid " + caller.uid() + " may only choose ids that start with '"
                    + account.name() + ".', not '" + id + "'");
        }
        if (spec.user() == null) {
            spec = spec.withUser(new AccountRef.Id(caller.uid()));
        } else {
            OptionalInt uid = directory.uid(spec.user());
            if (uid.isEmpty() || uid.getAsInt() != caller.uid()) {
                throw forbidden("rule 'start as yourself': uid " + caller.uid() + " may only start jobs as itself, not as '"
                        + spec.user().text() + "'");
            }
        }
        refuseWhatInitWouldOpen(caller, spec);
        if (spec.group() != null) {
            OptionalInt gid = directory.gid(spec.group());
            if (gid.isEmpty() || !directory.groupsOf(caller.uid()).contains(gid.getAsInt())) {
                throw forbidden("rule 'your own groups': uid " + caller.uid() + " is not in group '" + spec.group().text() + "'");
            }
        }
        // init's own environment is root's business: a user's job gets what login(1) would give it.
        return spec.envs() != null ? spec : spec.withEnvs(loginEnvironment(account));
    }

    /** PATH, HOME, USER, LOGNAME and SHELL, as login(1) sets them. */
    static Map<String, String> loginEnvironment(Directory.Account account) {
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("PATH", JobSpec.DEFAULT_PATH);
        environment.put("HOME", account.home() == null || account.home().isEmpty() ? "/" : account.home());
        environment.put("USER", account.name());
        environment.put("LOGNAME", account.name());
        environment.put("SHELL", account.shell() == null || account.shell().isEmpty() ? "/bin/sh" : account.shell());
        return environment;
    }

    /**
     * init opens a job's stdio files, console and fds itself, as root, before the job runs: a non-admin
     * choosing them could read or write any file, take a privileged port, or replace a socket file. It gets
     * what it could open itself: /dev/null, its log, and TCP or UDP ports from 1024 up.
     */
    private static void refuseWhatInitWouldOpen(Caller caller, JobSpec spec) throws JobException {
        for (Stdio.Target target : List.of(spec.stdio().stdin(), spec.stdio().stdout(), spec.stdio().stderr())) {
            switch (target) {
                case Stdio.Target.Null n -> { }
                case Stdio.Target.Log l -> { }
                case Stdio.Target.SameAsStdout s -> { }
                case Stdio.Target.File f -> throw forbidden(initOpens(caller, "stdio file " + f.path()));
                case Stdio.Target.Console c -> throw forbidden(initOpens(caller, "the console"));
                case Stdio.Target.Inherit i -> throw forbidden(initOpens(caller, "init's own stdio"));
            }
        }
        for (FdSpec fd : spec.fds()) {
            switch (fd) {
                case FdSpec.File f -> throw forbidden(initOpens(caller, "file " + f.path()));
                case FdSpec.Listen(String uri, String name) when uri.startsWith("unix:") ->
                        throw forbidden(initOpens(caller, "socket " + uri));
                case FdSpec.Listen(String uri, String name) when port(uri) < 1024 ->
                        throw forbidden(initOpens(caller, "privileged port " + uri));
                case FdSpec.Listen listen -> { }
            }
        }
    }

    private static String initOpens(Caller caller, String what) {
        return "rule 'nothing opened as root': init opens " + what + " as root, so only an admin may ask for it (uid "
                + caller.uid() + " is not)";
    }

    /** The port of "tcp://HOST:PORT" or "udp://HOST:PORT"; 0 (privileged) when it cannot be read. */
    private static int port(String uri) {
        try {
            return Integer.parseInt(uri.substring(uri.lastIndexOf(':') + 1));
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** /system/*: admin only. */
    public void admitSystem(Caller caller) throws JobException {
        if (!caller.admin()) throw forbidden("rule 'admin only': /system/* needs uid 0 or the token");
    }

    /** A job as this caller may see it: the environment of another's job may hold its secrets. */
    public Job view(Caller caller, Job job) {
        if (caller.owns(job.owner()) || job.spec().envs() == null) return job;
        Map<String, String> redacted = new LinkedHashMap<>();
        for (String name : job.spec().envs().keySet()) redacted.put(name, REDACTED);
        return job.withSpec(job.spec().withEnvs(redacted));
    }

    static JobException forbidden(String message) {
        return new JobException(Reason.FORBIDDEN, message);
    }
}
