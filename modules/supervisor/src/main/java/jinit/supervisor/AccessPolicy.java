package jinit.supervisor;

import jinit.api.AccountRef;
import jinit.api.Job;
import jinit.api.JobSpec;
import jinit.supervisor.JobException.Reason;

import java.util.LinkedHashMap;
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
        if (spec.group() != null) {
            OptionalInt gid = directory.gid(spec.group());
            if (gid.isEmpty() || !directory.groupsOf(caller.uid()).contains(gid.getAsInt())) {
                throw forbidden("rule 'your own groups': uid " + caller.uid() + " is not in group '" + spec.group().text() + "'");
            }
        }
        return spec;
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
