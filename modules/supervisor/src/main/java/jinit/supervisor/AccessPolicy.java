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
     * caller) and with a group it belongs to.
     */
    public JobSpec admitStart(Caller caller, JobSpec spec) throws JobException {
        if (caller.admin()) return spec;
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
        return spec;
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
        JobSpec spec = job.spec();
        JobSpec shown = new JobSpec(spec.exec(), spec.args(), spec.cwd(), redacted, spec.user(), spec.group(),
                spec.restart(), spec.stdio(), spec.logBytes(), spec.fds(), spec.stopTimeout());
        return new Job(job.id(), shown, job.state(), job.startedAt(), job.restarts(), job.error(), job.owner());
    }

    static JobException forbidden(String message) {
        return new JobException(Reason.FORBIDDEN, message);
    }
}
