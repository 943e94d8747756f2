package jinit.supervisor;

import jinit.api.ExitStatus;
import jinit.api.Job;
import jinit.api.JobId;
import jinit.api.JobSpec;
import jinit.api.JobState;
import jinit.supervisor.JobException.Reason;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The job table. Every change happens under one lock, which is also held while a process starts and
 * while its exit is reaped: so an exit is always recorded on the job that owns the pid, exactly once,
 * and a signal never reaches a pid that was already reaped (and perhaps reused).
 */
public final class Supervisor {
    /** Generated ids are "<program>-<n>"; the program part is cut so the id stays within 64 characters. */
    private static final int GENERATED_PREFIX_MAX = 40;

    private final ProcessBackend backend;
    private final InstantSource clock;
    private final int maxJobs;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled whenever a job's process ends. */
    private final Condition exited = lock.newCondition();
    /** Insertion order is start order: GET /jobs lists oldest first. */
    private final LinkedHashMap<String, JobRecord> jobs = new LinkedHashMap<>();
    private final Map<Integer, JobRecord> byPid = new HashMap<>();
    private final List<Consumer<Job>> exitListeners = new CopyOnWriteArrayList<>();
    private long nextGeneratedId = 1;
    private long orphans;
    private boolean acceptingJobs = true;

    public Supervisor(ProcessBackend backend, InstantSource clock, int maxJobs) {
        this.backend = backend;
        this.clock = clock;
        this.maxJobs = maxJobs;
    }

    /** Called after a job's process was reaped, outside the lock. */
    public void onJobExit(Consumer<Job> listener) {
        exitListeners.add(listener);
    }

    /** POST /job: starts the spec under a fresh id. */
    public Job start(JobSpec spec) throws JobException {
        return launch(null, spec);
    }

    /** PUT /job/:id: starts the spec under this id, replacing an ended job of that id. */
    public Job put(String id, JobSpec spec) throws JobException {
        if (!JobId.isValid(id)) throw new IllegalArgumentException("invalid job id");
        return launch(id, spec);
    }

    /** PUT with a launch the caller prepared itself, e.g. one that shares init's stdio. */
    public Job put(String id, JobSpec spec, ProcessBackend.PreparedLaunch prepared) throws JobException {
        if (!JobId.isValid(id)) throw new IllegalArgumentException("invalid job id");
        return launch(id, spec, prepared);
    }

    private Job launch(String requestedId, JobSpec spec) throws JobException {
        if (requestedId != null) refuseIfRunning(requestedId); // a conflict outranks a spec that cannot start
        String idForPrepare = requestedId != null ? requestedId : programName(spec.exec());
        try {
            return launch(requestedId, spec, backend.prepare(idForPrepare, spec));
        } catch (LaunchException e) {
            throw new JobException(Reason.CANNOT_START, e.getMessage());
        }
    }

    private Job launch(String requestedId, JobSpec spec, ProcessBackend.PreparedLaunch prepared) throws JobException {
        lock.lock();
        try {
            if (!acceptingJobs) throw new JobException(Reason.SHUTTING_DOWN, "init is shutting down and starts no new jobs");
            JobRecord existing = requestedId == null ? null : jobs.get(requestedId);
            if (existing != null) refuseIfRunning(existing);
            if (existing == null && jobs.size() >= maxJobs) {
                throw new JobException(Reason.FULL, "the job table is full (" + maxJobs + " jobs); delete ended jobs first");
            }
            String id = requestedId != null ? requestedId : freshId(spec.exec());
            int pid;
            try {
                pid = prepared.start();
            } catch (LaunchException e) {
                throw new JobException(Reason.CANNOT_START, e.getMessage());
            }
            if (existing != null) jobs.remove(id); // a fresh start goes to the end: the list is in start order
            JobRecord job = new JobRecord(id, spec, clock.instant(), pid);
            jobs.put(id, job);
            byPid.put(pid, job);
            return job.snapshot;
        } finally {
            lock.unlock();
        }
    }

    private void refuseIfRunning(String id) throws JobException {
        lock.lock();
        try {
            JobRecord existing = jobs.get(id);
            if (existing != null) refuseIfRunning(existing);
        } finally {
            lock.unlock();
        }
    }

    private static void refuseIfRunning(JobRecord job) throws JobException {
        if (job.state instanceof JobState.Running(int pid)) {
            throw new JobException(Reason.CONFLICT, "job '" + job.id + "' is running (pid " + pid + "); stop it first");
        }
    }

    private String freshId(String exec) {
        String prefix = programName(exec);
        String id;
        do {
            id = prefix + "-" + nextGeneratedId++;
        } while (jobs.containsKey(id));
        return id;
    }

    private static String programName(String exec) {
        String base = exec.substring(exec.lastIndexOf('/') + 1);
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < base.length() && name.length() < GENERATED_PREFIX_MAX; i++) {
            char c = base.charAt(i);
            boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
            if (safe) name.append(c);
        }
        while (!name.isEmpty() && !Character.isLetterOrDigit(name.charAt(0))) name.deleteCharAt(0);
        return name.isEmpty() ? "job" : name.toString();
    }

    public Optional<Job> get(String id) {
        lock.lock();
        try {
            JobRecord job = jobs.get(id);
            return job == null ? Optional.empty() : Optional.of(job.snapshot);
        } finally {
            lock.unlock();
        }
    }

    public List<Job> list() {
        lock.lock();
        try {
            List<Job> snapshots = new ArrayList<>(jobs.size());
            for (JobRecord job : jobs.values()) snapshots.add(job.snapshot);
            return snapshots;
        } finally {
            lock.unlock();
        }
    }

    /** PUT /job/:id/sig/:sig. */
    public void signal(String id, int signal) throws JobException {
        lock.lock();
        try {
            JobRecord job = require(id);
            if (!(job.state instanceof JobState.Running(int pid))) {
                throw new JobException(Reason.CONFLICT, "job '" + id + "' is not running");
            }
            try {
                backend.signal(pid, signal);
            } catch (LaunchException e) {
                throw new JobException(Reason.CONFLICT, e.getMessage());
            }
        } finally {
            lock.unlock();
        }
    }

    /** DELETE /job/:id: forgets an ended job. */
    public void delete(String id) throws JobException {
        lock.lock();
        try {
            refuseIfRunning(require(id));
            jobs.remove(id);
        } finally {
            lock.unlock();
        }
    }

    private JobRecord require(String id) throws JobException {
        JobRecord job = jobs.get(id);
        if (job == null) throw new JobException(Reason.NOT_FOUND, "no job '" + id + "'");
        return job;
    }

    /**
     * The reaper's report: {@code pid} has ended and is still a zombie. The zombie is released with
     * {@code reap} under the lock, after which the pid may be reused by the kernel.
     *
     * @return whether the pid belonged to a job (false: an orphan, reaped and counted)
     */
    public boolean childExited(int pid, ExitStatus status, Runnable reap) {
        Job ended;
        lock.lock();
        try {
            reap.run();
            JobRecord job = byPid.remove(pid);
            if (job == null) {
                orphans++;
                return false;
            }
            job.exited(status, clock.instant());
            ended = job.snapshot;
            exited.signalAll();
        } finally {
            lock.unlock();
        }
        for (Consumer<Job> listener : exitListeners) listener.accept(ended);
        return true;
    }

    /** Pids of running jobs, newest first: the order an orderly shutdown stops them in. */
    public List<Integer> runningPidsNewestFirst() {
        lock.lock();
        try {
            List<Integer> pids = new ArrayList<>();
            for (JobRecord job : jobs.values()) {
                if (job.state instanceof JobState.Running(int pid)) pids.addFirst(pid);
            }
            return pids;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends a signal to the process group of every running job, newest first. Jobs start in a session
     * of their own, so the group holds the job and whatever it forked.
     */
    public void signalAllRunning(int signal) {
        lock.lock();
        try {
            for (int pid : runningPidsNewestFirst()) {
                try {
                    backend.signal(-pid, signal);
                } catch (LaunchException e) {
                    // The group may be gone already while the leader is an unreaped zombie.
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits until no job is running; false if the timeout passed first. */
    public boolean awaitNoneRunning(long timeoutMillis) throws InterruptedException {
        long remaining = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lock();
        try {
            while (!byPid.isEmpty()) {
                if (remaining <= 0) return false;
                remaining = exited.awaitNanos(remaining);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Refuses new jobs from now on. */
    public void stopAccepting() {
        lock.lock();
        try {
            acceptingJobs = false;
        } finally {
            lock.unlock();
        }
    }

    public long orphansReaped() {
        lock.lock();
        try {
            return orphans;
        } finally {
            lock.unlock();
        }
    }

    /** One row of the table. Mutable, guarded by the supervisor's lock; {@code snapshot} is what readers see. */
    private static final class JobRecord {
        final String id;
        final JobSpec spec;
        final java.time.Instant startedAt;
        JobState state;
        int restarts;
        Job snapshot;

        JobRecord(String id, JobSpec spec, java.time.Instant startedAt, int pid) {
            this.id = id;
            this.spec = spec;
            this.startedAt = startedAt;
            this.state = new JobState.Running(pid);
            refresh();
        }

        void exited(ExitStatus status, java.time.Instant at) {
            state = new JobState.Exited(status, at);
            refresh();
        }

        private void refresh() {
            snapshot = new Job(id, spec, state, startedAt, restarts);
        }
    }
}
