package jinit.supervisor;

import jinit.api.ExitStatus;
import jinit.api.Job;
import jinit.api.JobId;
import jinit.api.JobSpec;
import jinit.api.JobState;
import jinit.api.Readiness;
import jinit.api.Usage;
import jinit.api.Signal;
import jinit.supervisor.JobException.Reason;

import java.time.Instant;
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
import java.util.function.Predicate;

/**
 * The job table and each job's life: start, exit, backoff, restart, stop. Every change happens under
 * one lock, which is also held while a process starts and while its exit is reaped: so an exit is always
 * recorded on the job that owns the pid, exactly once, and a signal never reaches a pid that was
 * already reaped (and perhaps reused).
 */
public final class Supervisor implements Notifications {
    /** The longest STATUS= kept, in characters: a line for a human, not a log (that is what the log is for). */
    static final int MAX_STATUS_CHARS = 256;
    /** Generated ids are "<program>-<n>"; the program part is cut so the id stays within 64 characters. */
    private static final int GENERATED_PREFIX_MAX = 40;

    private final ProcessBackend backend;
    private final InstantSource clock;
    private final Scheduler scheduler;
    private final EventLog events;
    private final LogBudget logBudget;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled on every state change. */
    private final Condition changed = lock.newCondition();
    /** Insertion order is start order: GET /jobs lists oldest first. */
    private final LinkedHashMap<String, JobRecord> jobs = new LinkedHashMap<>();
    private final Map<Integer, JobRecord> byPid = new HashMap<>();
    /** Ids whose start is under way, and who starts them: reserved, so no other request races for them. */
    private final Map<String, Caller> starting = new HashMap<>();
    private final Shares shares;
    private final List<Consumer<Job>> exitListeners = new CopyOnWriteArrayList<>();
    private long nextGeneratedId = 1;
    private long orphans;
    private boolean acceptingJobs = true;

    public Supervisor(ProcessBackend backend, InstantSource clock, Scheduler scheduler, int maxJobs, EventLog events) {
        this(backend, clock, scheduler, maxJobs, events, new LogBudget(LogBudget.DEFAULT_BYTES));
    }

    public Supervisor(ProcessBackend backend, InstantSource clock, Scheduler scheduler, int maxJobs, EventLog events,
                      LogBudget logBudget) {
        this.backend = backend;
        this.clock = clock;
        this.scheduler = scheduler;
        this.events = events;
        this.logBudget = logBudget;
        this.shares = new Shares(maxJobs);
    }

    public EventLog events() {
        return events;
    }

    /** Called after a job's process was reaped, outside the lock, with the job as it then is. */
    public void onJobExit(Consumer<Job> listener) {
        exitListeners.add(listener);
    }

    // ---- starting ----

    /** POST /job: starts the spec under a fresh id. */
    public Job start(JobSpec spec, Caller caller) throws JobException {
        return launch(null, spec, caller);
    }

    /** PUT /job/:id: starts the spec under this id, replacing an ended job of that id. */
    public Job put(String id, JobSpec spec, Caller caller) throws JobException {
        return launch(id, spec, caller);
    }

    private Job launch(String requestedId, JobSpec spec, Caller caller) throws JobException {
        if (requestedId != null && !JobId.isValid(requestedId)) throw new IllegalArgumentException("invalid job id");
        // Under the lock, the id is reserved (no other request may start, replace or delete it until this one
        // is done) and so is the caller's share of the table; the slow part, prepare, runs outside it.
        String id;
        boolean replacing;
        Shares.Claim claim;
        lock.lock();
        try {
            if (!acceptingJobs) throw shuttingDown();
            JobRecord existing = requestedId == null ? null : jobs.get(requestedId);
            if (existing != null) {
                refuseUnlessEnded(existing);
                requireOwner(existing, caller, "replace");
            }
            if (requestedId != null && starting.containsKey(requestedId)) {
                throw new JobException(Reason.CONFLICT, "job '" + requestedId + "' is being started by another request");
            }
            claim = shares.reserve(caller, spec, existing != null, existing == null ? null : existing.claim,
                    jobs.size() + starting.size());
            id = requestedId != null ? requestedId : freshId(spec.exec());
            starting.put(id, caller);
            replacing = existing != null;
        } finally {
            lock.unlock();
        }
        boolean registered = false;
        try {
            // The old job's sockets go first, since the new spec may want the same ports.
            if (replacing) backend.forget(id);
            LogRing log = new LogRing(spec.logBytes(), logBudget);
            ProcessBackend.PreparedLaunch prepared;
            try {
                prepared = backend.prepare(id, spec, log);
            } catch (LaunchException e) {
                throw new JobException(Reason.CANNOT_START, e.getMessage());
            }
            lock.lock();
            try {
                if (!acceptingJobs) throw shuttingDown();
                int pid;
                try {
                    pid = prepared.start();
                } catch (LaunchException e) {
                    throw new JobException(Reason.CANNOT_START, e.getMessage());
                }
                // The reservation kept every other request off this id: what is here is the ended job we replace.
                JobRecord existing = jobs.remove(id); // a fresh start goes to the end: the list is in start order
                if (existing != null) {
                    existing.log.discard();
                    shares.release(existing.claim);
                }
                JobRecord job = new JobRecord(id, spec, caller.uid(), log, claim);
                job.started(pid, clock.instant());
                awaitReadiness(job);
                jobs.put(id, job);
                byPid.put(pid, job);
                changed(job);
                registered = true;
                return job.snapshot;
            } finally {
                lock.unlock();
            }
        } finally {
            if (!registered) backend.forget(id); // what prepare opened for a job that never was
            lock.lock();
            try {
                starting.remove(id);
                if (!registered) shares.release(claim);
            } finally {
                lock.unlock();
            }
        }
    }

    private static JobException shuttingDown() {
        return new JobException(Reason.SHUTTING_DOWN, "init is shutting down and starts no new jobs");
    }

    private static void refuseUnlessEnded(JobRecord job) throws JobException {
        switch (job.state) {
            case JobState.Running(int pid) ->
                    throw new JobException(Reason.CONFLICT, "job '" + job.id + "' is running (pid " + pid + "); stop it first");
            case JobState.Backoff b ->
                    throw new JobException(Reason.CONFLICT, "job '" + job.id + "' is waiting to restart; stop it first");
            case JobState.Exited e -> { }
        }
    }

    private String freshId(String exec) {
        String prefix = programName(exec);
        String id;
        do {
            id = prefix + "-" + nextGeneratedId++;
        } while (jobs.containsKey(id) || starting.containsKey(id));
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

    // ---- reading ----

    public Optional<Job> get(String id) {
        lock.lock();
        try {
            JobRecord job = jobs.get(id);
            return job == null ? Optional.empty() : Optional.of(job.snapshot);
        } finally {
            lock.unlock();
        }
    }

    /** How many jobs the table holds. */
    public int size() {
        lock.lock();
        try {
            return jobs.size();
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

    /** The job's output, which lasts until the job is deleted. */
    public LogRing log(String id, Caller caller) throws JobException {
        lock.lock();
        try {
            JobRecord job = requireOwned(id, caller, "read the log of");
            return job.log;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the job satisfies {@code condition}; empty if {@code timeoutMillis} passed first.
     *
     * @throws JobException NOT_FOUND if there is no such job, or it is deleted while waiting
     */
    public Optional<Job> await(String id, Predicate<Job> condition, long timeoutMillis) throws JobException, InterruptedException {
        long remaining = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lock();
        try {
            while (true) {
                JobRecord job = require(id);
                if (condition.test(job.snapshot)) return Optional.of(job.snapshot);
                if (remaining <= 0) return Optional.empty();
                remaining = changed.awaitNanos(remaining);
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- signals, stop, delete ----

    /** PUT /job/:id/sig/:sig. A death by a signal sent here is not a failure for the restart policy. */
    public void signal(String id, int signal, Caller caller) throws JobException {
        lock.lock();
        try {
            JobRecord job = requireOwned(id, caller, "signal");
            if (!(job.state instanceof JobState.Running(int pid))) {
                throw new JobException(Reason.CONFLICT, "job '" + id + "' is " + switch (job.state) {
                    case JobState.Backoff b -> "waiting to restart (backoff)";
                    default -> job.state.label();
                } + ", not running");
            }
            try {
                backend.signal(pid, signal);
                job.signalledByApi = true;
            } catch (LaunchException e) {
                throw new JobException(Reason.CONFLICT, e.getMessage());
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * POST /job/:id/stop: cancels any restart; a running job gets TERM on its process group, and KILL after
     * {@code timeoutMillis} if it is still there. Returns at once; {@link #await} waits for the end.
     */
    public Job stop(String id, long timeoutMillis, Caller caller) throws JobException {
        lock.lock();
        try {
            JobRecord job = requireOwned(id, caller, "stop");
            switch (job.state) {
                case JobState.Exited e -> { }
                case JobState.Backoff(ExitStatus lastExit, Instant exitedAt, Instant next) -> {
                    job.cancelTimer();
                    job.state = new JobState.Exited(lastExit, exitedAt, false);
                    backend.ended(id);
                    changed(job);
                }
                case JobState.Running(int pid) -> {
                    job.stopRequested = true;
                    signalGroup(pid, Signal.TERM);
                    if (backend.onTerminal(id)) {
                        // What a hangup of its terminal would do; CONT wakes a stopped job to take both.
                        signalGroup(pid, Signal.HUP);
                        signalGroup(pid, Signal.CONT);
                    }
                    if (job.timer == null) {
                        long incarnation = job.incarnation;
                        job.timer = scheduler.after(timeoutMillis, () -> killIfStillRunning(id, incarnation));
                    }
                }
            }
            return job.snapshot;
        } finally {
            lock.unlock();
        }
    }

    private void killIfStillRunning(String id, long incarnation) {
        lock.lock();
        try {
            JobRecord job = jobs.get(id);
            if (job != null && job.incarnation == incarnation && job.state instanceof JobState.Running(int pid)) {
                job.timer = null;
                job.log.marker("stop timeout passed; sending KILL");
                backend.killTree(id); // the whole cgroup, when there is one: what left the group dies too
                signalGroup(pid, Signal.KILL);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Jobs run in a session of their own, so the group holds the job and whatever it forked. */
    private void signalGroup(int pid, int signal) {
        try {
            backend.signal(-pid, signal);
        } catch (LaunchException groupGone) {
            try {
                backend.signal(pid, signal); // the job left its group; reach it directly
            } catch (LaunchException e) {
                // A zombie awaiting the reaper: nothing left to signal.
            }
        }
    }

    /** DELETE /job/:id: forgets an ended job. */
    public void delete(String id, Caller caller) throws JobException {
        lock.lock();
        try {
            JobRecord job = requireOwned(id, caller, "delete");
            refuseUnlessEnded(job);
            if (starting.containsKey(id)) {
                throw new JobException(Reason.CONFLICT, "job '" + id + "' is being replaced by another request");
            }
            jobs.remove(id);
            job.log.discard();
            shares.release(job.claim);
            events.add(clock.instant(), id, "deleted", null);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        backend.forget(id);
    }

    private static void requireOwner(JobRecord job, Caller caller, String verb) throws JobException {
        if (!caller.owns(job.owner)) {
            throw AccessPolicy.forbidden("rule 'own jobs only': uid " + caller.uid() + " may not " + verb + " job '"
                    + job.id + "' of uid " + job.owner);
        }
    }

    /** The job, if there is one and {@code caller} may {@code verb} it. */
    private JobRecord requireOwned(String id, Caller caller, String verb) throws JobException {
        JobRecord job = require(id);
        requireOwner(job, caller, verb);
        return job;
    }

    private JobRecord require(String id) throws JobException {
        JobRecord job = jobs.get(id);
        if (job == null) throw new JobException(Reason.NOT_FOUND, "no job '" + id + "'");
        return job;
    }

    // ---- exits and restarts ----

    /**
     * The reaper's report: {@code pid} has ended and is still a zombie. The zombie is released with
     * {@code reap} under the lock, after which the kernel may reuse the pid. A pid of no job is an orphan
     * (a process init adopted), reaped and counted in {@link #orphansReaped()}.
     */
    public void childExited(int pid, ExitStatus status, Runnable reap) {
        Job ended;
        lock.lock();
        try {
            reap.run();
            JobRecord job = byPid.remove(pid);
            if (job == null) {
                orphans++;
                return;
            }
            Instant now = clock.instant();
            job.cancelTimer();
            job.cancelReadinessTimer();
            // A stopped job's other processes (a setsid daemon it started, say) go with it, as with systemd's
            // KillMode=control-group; a job that merely ended keeps them until its restart, replacement or DELETE.
            if (job.stopRequested || !acceptingJobs) backend.killTree(job.id);
            if (status instanceof ExitStatus.Signaled(int signal, boolean core, boolean oom) && !oom
                    && signal == Signal.KILL && backend.oomKilled(job.id)) {
                status = new ExitStatus.Signaled(signal, core, true);
            }
            // resetAfter counts from ready (for a job without a protocol, that is its start); never ready: no uptime.
            long uptime = job.readyAt == null ? 0 : now.toEpochMilli() - job.readyAt.toEpochMilli();
            var decision = job.restarts.onExit(status, now.toEpochMilli(), uptime, job.signalledByApi,
                    job.stopRequested || !acceptingJobs, job.readyTimedOut || job.watchdogFired);
            job.ready = false;
            job.lastExitByWatchdog = job.watchdogFired;
            settle(job, status, now, now, decision);
            ended = job.snapshot;
        } finally {
            lock.unlock();
        }
        for (Consumer<Job> listener : exitListeners) listener.accept(ended);
    }

    /**
     * Applies a restart decision. {@code exitedAt} is when the last process ended; {@code now} is when
     * the decision is made (later, when a restart attempt itself failed), which is what a delay counts from.
     */
    private void settle(JobRecord job, ExitStatus status, Instant exitedAt, Instant now, RestartTracker.Decision decision) {
        switch (decision) {
            case RestartTracker.Decision.Stay() -> {
                job.state = new JobState.Exited(status, exitedAt, false);
                backend.ended(job.id);
            }
            case RestartTracker.Decision.GiveUp() -> {
                job.state = new JobState.Exited(status, exitedAt, true);
                backend.ended(job.id);
                job.log.marker("giving up: the restart limit of " + job.spec.restart().burst() + " within "
                        + job.spec.restart().window() + " ms is reached");
            }
            case RestartTracker.Decision.RestartAfter(long delay) -> {
                job.state = new JobState.Backoff(status, exitedAt, now.plusMillis(delay));
                long incarnation = job.incarnation;
                job.timer = scheduler.after(delay, () -> restart(job.id, incarnation));
            }
        }
        changed(job);
    }

    private void restart(String id, long incarnation) {
        JobRecord job;
        lock.lock();
        try {
            job = jobs.get(id);
            if (job == null || job.incarnation != incarnation || !(job.state instanceof JobState.Backoff)) return;
            job.timer = null;
        } finally {
            lock.unlock();
        }
        ProcessBackend.PreparedLaunch prepared = null;
        String error = null;
        try {
            prepared = backend.prepare(id, job.spec, job.log); // file lookups stay outside the lock
        } catch (LaunchException e) {
            error = e.getMessage();
        }
        lock.lock();
        try {
            if (jobs.get(id) != job || job.incarnation != incarnation
                    || !(job.state instanceof JobState.Backoff(ExitStatus lastExit, Instant exitedAt, Instant next))) {
                return; // stopped, deleted or replaced while we prepared
            }
            if (!acceptingJobs) {
                job.state = new JobState.Exited(lastExit, exitedAt, false);
                backend.ended(id);
                changed(job);
                return;
            }
            if (prepared != null) {
                // The marker goes in first: the new process may write before start() returns.
                job.log.marker("restart " + (job.restartCount + 1) + " after " + lastExit.describe()
                        + (job.error != null ? " (the last attempt failed)" : ""));
                try {
                    int pid = prepared.start();
                    job.restartCount++;
                    job.error = null;
                    job.started(pid, clock.instant());
                    awaitReadiness(job);
                    byPid.put(pid, job);
                    changed(job);
                    return;
                } catch (LaunchException e) {
                    error = e.getMessage();
                }
            }
            // A restart that cannot start counts as one more failure.
            job.error = error;
            job.log.marker("restart failed: " + error);
            Instant now = clock.instant();
            job.incarnation++;
            var decision = job.restarts.onExit(null, now.toEpochMilli(), 0, false, false);
            settle(job, lastExit, exitedAt, now, decision);
        } finally {
            lock.unlock();
        }
    }

    /** Records a state change: a fresh snapshot, an event, and a wake-up for waiters. Under the lock. */
    private void changed(JobRecord job) {
        job.refresh();
        job.log.jobEnded(job.state instanceof JobState.Exited);
        events.add(clock.instant(), job.id, job.state.label(), job.snapshot);
        changed.signalAll();
    }

    // ---- readiness and watchdog ----

    /** Right after a start, under the lock: a job without a protocol is ready now; else its ready timeout begins. */
    private void awaitReadiness(JobRecord job) {
        Readiness readiness = job.spec.readiness();
        if (!readiness.announced()) {
            job.ready = true;
            job.readyAt = job.startedAt;
            return;
        }
        if (readiness.timeout() > 0) {
            long incarnation = job.incarnation;
            job.readinessTimer = scheduler.after(readiness.timeout(), () -> readyTimeoutPassed(job, incarnation));
        }
    }

    /**
     * The notify protocol. The sender counts for a job if the job's process leads the sender's process group: the
     * job itself or what it forked without leaving its group (a shell's {@code systemd-notify}, which sends from its
     * own pid). A process of another job or user has another group: its datagrams are ignored, as is everything
     * else not understood.
     */
    @Override
    public void notified(int senderPid, int senderGroup, String message) {
        lock.lock();
        try {
            JobRecord job = byPid.get(senderGroup);
            if (job == null || !(job.state instanceof JobState.Running(int pid)) || pid != senderGroup
                    || !(job.spec.readiness().protocol() instanceof Readiness.Protocol.Notify)) {
                return;
            }
            boolean statusChanged = false;
            for (String line : message.split("\n")) {
                switch (line) {
                    case "READY=1" -> {
                        if (!job.ready) becameReady(job);
                    }
                    case "WATCHDOG=1" -> job.lastPetMillis = clock.millis();
                    case "STOPPING=1" -> job.log.marker("the job says it is stopping (STOPPING=1)");
                    default -> {
                        if (line.startsWith("STATUS=")) {
                            String status = line.substring("STATUS=".length());
                            job.status = status.length() > MAX_STATUS_CHARS ? status.substring(0, MAX_STATUS_CHARS) : status;
                            statusChanged = true;
                        }
                    }
                }
            }
            // A status is no event: a job repeating it would push every other job's events out of the history.
            if (statusChanged) {
                job.refresh();
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** s6's protocol: the job's own process wrote a newline to its ready fd. */
    @Override
    public void readyByFd(int pid) {
        lock.lock();
        try {
            JobRecord job = byPid.get(pid);
            if (job != null && job.state instanceof JobState.Running(int running) && running == pid && !job.ready
                    && job.spec.readiness().protocol() instanceof Readiness.Protocol.Fd) {
                becameReady(job);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: the running job is ready. Its ready timeout ends, its watchdog (counted from now) begins. */
    private void becameReady(JobRecord job) {
        job.ready = true;
        job.readyAt = clock.instant();
        job.cancelReadinessTimer();
        long watchdog = job.spec.readiness().watchdog();
        if (watchdog > 0) {
            job.lastPetMillis = clock.millis();
            armWatchdog(job, watchdog);
        }
        job.refresh();
        events.add(job.readyAt, job.id, "ready", job.snapshot);
        changed.signalAll();
    }

    /**
     * One timer per job however often it pets the watchdog: a WATCHDOG=1 only notes the time, and the timer, when it
     * comes, looks at how long the job has been quiet and waits out the rest.
     */
    private void armWatchdog(JobRecord job, long delayMillis) {
        long incarnation = job.incarnation;
        job.readinessTimer = scheduler.after(delayMillis, () -> watchdogDue(job, incarnation));
    }

    /** Whether a timer armed for {@code job}'s process {@code incarnation} still concerns a live row and process. */
    private boolean current(JobRecord job, long incarnation) {
        return jobs.get(job.id) == job && job.incarnation == incarnation && job.state instanceof JobState.Running;
    }

    private void watchdogDue(JobRecord job, long incarnation) {
        lock.lock();
        try {
            if (!current(job, incarnation) || !(job.state instanceof JobState.Running(int pid))
                    || job.stopRequested || job.watchdogFired) {
                return;
            }
            job.readinessTimer = null;
            long watchdog = job.spec.readiness().watchdog();
            long quiet = clock.millis() - job.lastPetMillis;
            if (quiet < watchdog) {
                armWatchdog(job, watchdog - quiet);
                return;
            }
            // systemd's WatchdogSec: ABRT (a core shows where it hung), then KILL if it does not end.
            job.watchdogFired = true;
            job.log.marker("watchdog: no WATCHDOG=1 for " + quiet + " ms (the limit is " + watchdog
                    + " ms); sending ABRT, and KILL after " + job.spec.stopTimeout() + " ms");
            signalGroup(pid, Signal.ABRT);
            killLater(job);
        } finally {
            lock.unlock();
        }
    }

    private void readyTimeoutPassed(JobRecord job, long incarnation) {
        lock.lock();
        try {
            // The row itself, not its id: a timer of a replaced job must not act on its successor.
            if (!current(job, incarnation) || !(job.state instanceof JobState.Running(int pid))
                    || job.ready || job.stopRequested) {
                return;
            }
            job.readinessTimer = null;
            job.readyTimedOut = true;
            job.log.marker("not ready within " + job.spec.readiness().timeout() + " ms; stopping it (TERM, KILL after "
                    + job.spec.stopTimeout() + " ms) as a failure");
            signalGroup(pid, Signal.TERM);
            killLater(job);
        } finally {
            lock.unlock();
        }
    }

    /** KILL after the job's stop timeout, unless a KILL is already on its way. */
    private void killLater(JobRecord job) {
        if (job.timer != null) return;
        String id = job.id;
        long incarnation = job.incarnation;
        job.timer = scheduler.after(job.spec.stopTimeout(), () -> killIfStillRunning(id, incarnation));
    }

    // ---- shutdown ----

    /** Refuses new jobs and restarts from now on. */
    public void stopAccepting() {
        lock.lock();
        try {
            acceptingJobs = false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops every job, newest first, each with its own stop timeout capped at {@code capMillis}; they all
     * stop in parallel, because a job that depends on an older one has been told first.
     */
    public void stopAll(long capMillis) {
        List<Job> newestFirst = list().reversed();
        for (Job job : newestFirst) {
            try {
                stop(job.id(), Math.min(job.spec().stopTimeout(), capMillis), Caller.ROOT);
            } catch (JobException e) {
                // Deleted meanwhile: nothing to stop.
            }
        }
    }

    /** Waits until no job is running or waiting to restart; false if the timeout passed first. */
    public boolean awaitAllEnded(long timeoutMillis) throws InterruptedException {
        long remaining = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lock();
        try {
            while (jobs.values().stream().anyMatch(job -> !(job.state instanceof JobState.Exited))) {
                if (remaining <= 0) return false;
                remaining = changed.awaitNanos(remaining);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Sends a signal to the process group of every running job: the last resort of a shutdown. */
    public void signalAllRunning(int signal) {
        lock.lock();
        try {
            for (JobRecord job : jobs.values()) {
                if (!(job.state instanceof JobState.Running(int pid))) continue;
                if (signal == Signal.KILL) backend.killTree(job.id);
                signalGroup(pid, signal);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether the lock can be taken within {@code timeoutMillis}: the watchdog's proof that the table is not stuck. It is
     * held at most while one process starts (up to jinit-exec's report timeout, 5 s) or one exit is recorded.
     */
    public boolean lockFreeWithin(long timeoutMillis) throws InterruptedException {
        if (!lock.tryLock(timeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS)) return false;
        lock.unlock();
        return true;
    }

    /** What a running job's cgroup counts now; empty for a job that is not running, or without cgroups. */
    public Optional<Usage> usage(String id) {
        lock.lock();
        try {
            JobRecord job = jobs.get(id);
            if (job == null || !(job.state instanceof JobState.Running)) return Optional.empty();
        } finally {
            lock.unlock();
        }
        return Optional.ofNullable(backend.usage(id));
    }

    /** How many processes that were no job's have been reaped since this supervisor began. */
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
        final int owner;
        final LogRing log;
        final RestartTracker restarts;
        /** What this row takes of its owner's share. */
        final Shares.Claim claim;
        JobState state;
        Instant startedAt;
        int restartCount;
        String error;
        /** Bumped at every start, so a timer armed for an older process does nothing. */
        long incarnation;
        boolean signalledByApi;
        boolean stopRequested;
        Scheduler.Cancellable timer;
        /** The ready timeout until the job is ready, then its watchdog. */
        Scheduler.Cancellable readinessTimer;
        boolean ready;
        Instant readyAt;
        String status;
        /** When the job last sent WATCHDOG=1 (or became ready), in the clock's ms. */
        long lastPetMillis;
        boolean readyTimedOut;
        boolean watchdogFired;
        boolean lastExitByWatchdog;
        Job snapshot;

        JobRecord(String id, JobSpec spec, int owner, LogRing log, Shares.Claim claim) {
            this.id = id;
            this.spec = spec;
            this.owner = owner;
            this.log = log;
            this.claim = claim;
            this.restarts = new RestartTracker(spec.restart());
        }

        void started(int pid, Instant at) {
            incarnation++;
            state = new JobState.Running(pid);
            startedAt = at;
            signalledByApi = false;
            stopRequested = false;
            ready = false;
            readyAt = null;
            status = null;
            readyTimedOut = false;
            watchdogFired = false;
            lastExitByWatchdog = false;
        }

        void cancelReadinessTimer() {
            if (readinessTimer != null) {
                readinessTimer.cancel();
                readinessTimer = null;
            }
        }

        void cancelTimer() {
            if (timer != null) {
                timer.cancel();
                timer = null;
            }
        }

        void refresh() {
            snapshot = new Job(id, spec, state, startedAt, restartCount, error, owner, ready, readyAt, status,
                    lastExitByWatchdog);
        }
    }
}
