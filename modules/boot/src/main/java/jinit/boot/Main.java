package jinit.boot;

import jinit.api.ExitStatus;
import jinit.api.Job;
import jinit.api.JobSpec;
import jinit.http.ApiServer;
import jinit.posix.Accounts;
import jinit.posix.Cgroups;
import jinit.posix.Posix;
import jinit.posix.PosixException;
import jinit.posix.OutputPump;
import jinit.posix.RebootCommand;
import jinit.api.Stdio;
import jinit.host.PosixProcesses;
import jinit.host.SystemDirectory;
import jinit.posix.PeerUids;
import jinit.http.SystemControl;
import jinit.supervisor.AccessPolicy;
import jinit.supervisor.Caller;
import jinit.supervisor.EventLog;
import java.io.IOException;
import java.nio.file.Path;
import jinit.supervisor.Scheduler;
import jinit.supervisor.JobException;
import jinit.supervisor.LogBudget;
import jinit.supervisor.Supervisor;

import java.net.InetSocketAddress;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import jinit.watchdog.Watchdog;
import java.util.concurrent.locks.LockSupport;

/**
 * PID 1. In order: take over stdio and the filesystems (as PID 1), start the reaper, serve the API,
 * hand the rest of boot to the next command, then wait for signals. It never returns as PID 1:
 * init exiting panics the kernel.
 */
public final class Main {
    /** The id the next command runs under, so a boot script can find itself in GET /jobs. */
    static final String BOOT_JOB_ID = "boot";
    /**
     * A cap on the job table; nothing is evicted when it is full. A job row costs about 3 KB of heap (its
     * log excepted), so a full table fits the image's -Xmx128m with room for the API.
     */
    static final int MAX_JOBS = 16_384;

    private Main() {}

    public static void main(String[] args) {
        Posix posix = Posix.load();
        boolean pid1 = posix.getpid() == 1;
        FailStop failStop = new FailStop(pid1, () -> forcedStop(posix, pid1), FailStop.FORCE_AFTER_MS, Console::log,
                System::nanoTime);
        Thread.setDefaultUncaughtExceptionHandler(failStop);
        Options options;
        try {
            options = Options.parse(Arrays.asList(args), System.getenv());
        } catch (Options.UsageException e) {
            System.err.println((e.getMessage() == null ? "" : "jinit: " + e.getMessage() + "\n") + Options.USAGE);
            if (!pid1) System.exit(e.getMessage() == null ? 0 : 2);
            options = new Options(Options.DEFAULT_BIND, Options.DEFAULT_PORT, true, TokenFile.DEFAULT_PATH, false, List.of());
        }
        try {
            run(posix, options, failStop);
        } catch (Throwable e) {
            Console.log("fatal: " + e);
            if (!pid1) System.exit(1);
        }
        if (pid1) {
            Console.log("init has nothing left to do but reap; staying up");
            while (true) LockSupport.park();
        }
    }

    /** When the orderly stop cannot end init: sync and reboot as PID 1, else halt (no shutdown hooks, no waiting). */
    private static void forcedStop(Posix posix, boolean pid1) {
        if (!pid1) Runtime.getRuntime().halt(FailStop.EXIT_STATUS);
        posix.sync();
        try {
            posix.reboot(RebootCommand.RESTART);
        } catch (PosixException e) {
            Console.log("reboot failed: " + e.getMessage());
        }
    }

    private static void run(Posix posix, Options options, FailStop failStop) throws Exception {
        boolean pid1 = posix.getpid() == 1;
        if (pid1) {
            Pid1.prepareSystem(posix);
        } else {
            try {
                posix.setChildSubreaper(); // orphans of our jobs come back to us, not to the real init
            } catch (PosixException e) {
                Console.log("could not become a subreaper: " + e.getMessage());
            }
        }

        Map<String, String> environment = System.getenv();
        Accounts accounts = new Accounts();
        Cgroups cgroups = null;
        String noCgroupsBecause;
        Path cgroupRoot = pid1 ? Cgroups.MOUNT_POINT : options.cgroup() == null ? null : Path.of(options.cgroup());
        if (cgroupRoot == null) {
            noCgroupsBecause = "init has none: off PID 1 it needs a delegated cgroup2 directory (--cgroup or JINIT_CGROUP)";
        } else {
            try {
                cgroups = Cgroups.open(cgroupRoot, posix, Console::log);
                noCgroupsBecause = null;
                Console.log("jobs get cgroups under " + cgroupRoot + " (controllers: " + String.join(" ", cgroups.controllers()) + ")");
            } catch (IOException | RuntimeException e) {
                noCgroupsBecause = "init has none: " + e.getMessage();
            }
        }
        if (cgroups == null) Console.log("cgroups unavailable, jobs run without them and a spec with limits is refused: " + noCgroupsBecause);
        // Ordered, so GET /system prints the same bytes on every boot.
        Map<String, Object> cgroupStatus = new LinkedHashMap<>();
        cgroupStatus.put("available", cgroups != null);
        if (cgroups == null) {
            cgroupStatus.put("reason", noCgroupsBecause);
        } else {
            cgroupStatus.put("root", cgroupRoot.toString());
            cgroupStatus.put("controllers", cgroups.controllers().stream().sorted().toList());
        }
        PosixProcesses processes = new PosixProcesses(posix, accounts, OutputPump.start(posix), environment, Console::log,
                cgroups, noCgroupsBecause);
        Supervisor supervisor = new Supervisor(processes, InstantSource.system(), Scheduler.system(), MAX_JOBS,
                new EventLog(EventLog.DEFAULT_HISTORY), new LogBudget(LogBudget.DEFAULT_BYTES, failStop::survived));
        processes.reportReadinessTo(supervisor); // the notify socket opens when the first notify job starts
        posix.reaper().start(exit -> supervisor.childExited(exit.pid(), exit.status(), exit::reap));

        Shutdown shutdown = new Shutdown(posix, supervisor, pid1);
        failStop.stopWith(shutdown::request);
        installSignalHandlers(shutdown, pid1);

        AtomicReference<Watchdog> watchdog = new AtomicReference<>(Watchdog.disarmed("not started yet"));
        SystemControl system = new SystemControl() {
            @Override
            public void shutdown(Action action, String reason) {
                shutdown.request(switch (action) {
                    case POWEROFF -> Shutdown.Action.POWER_OFF;
                    case REBOOT -> Shutdown.Action.REBOOT;
                    case HALT -> Shutdown.Action.HALT;
                }, 0, reason);
            }

            @Override
            public Map<String, Object> status() {
                Map<String, Object> status = new LinkedHashMap<>();
                status.put("pid1", pid1);
                status.put("watchdog", watchdog.get().status());
                status.put("cgroups", cgroupStatus);
                return status;
            }
        };
        String token = null;
        try {
            token = TokenFile.create(posix, Path.of(options.tokenFile()));
            Console.log("admin token written to " + options.tokenFile());
        } catch (PosixException | IOException e) {
            Console.log("could not write the admin token to " + options.tokenFile() + ": " + e.getMessage()
                    + "; only uid 0 over loopback is admin");
        }
        PeerUids peers = posix.peerUids();
        if (!peers.viaSockDiag()) Console.log("sock_diag cannot see TCP sockets here; finding callers through /proc/net/tcp");
        InetSocketAddress bindAddress = new InetSocketAddress(options.bind(), options.port());
        if (!bindAddress.getAddress().isLoopbackAddress()) {
            Console.log("WARNING: serving the job API off loopback, on " + options.bind()
                    + ". Anyone who can reach it and has the token can run anything as root.");
        }
        ApiServer server = ApiServer.start(new ApiServer.Config(bindAddress, token, options.allowRemote(), peers::uidOf), supervisor,
                new AccessPolicy(new SystemDirectory(accounts)), system, Console::log);
        shutdown.serving(server);
        InetSocketAddress address = server.address();
        Console.log("serving the API on http://" + address.getAddress().getHostAddress() + ":" + address.getPort()
                + " (pid " + posix.getpid() + ")");
        // Only now: petting needs the API to answer. Before, a board hung in early boot is the firmware's concern.
        watchdog.set(Watchdog.start(posix, environment, pid1, supervisor, address, token, Console::log));
        shutdown.watchedBy(watchdog.get());

        if (options.nextCommand().isEmpty()) return;
        boolean exitWithBootJob = !pid1 && !options.stay();
        AtomicBoolean bootEnded = new AtomicBoolean();
        supervisor.onJobExit(job -> {
            if (!job.id().equals(BOOT_JOB_ID) || !bootEnded.compareAndSet(false, true)) return;
            ExitStatus exit = ((jinit.api.JobState.Exited) job.state()).exit();
            Console.log("boot job ended with " + exit.describe());
            if (exitWithBootJob) shutdown.request(Shutdown.Action.EXIT, exit.shellStatus(), "the end of the boot job");
        });
        startBootJob(supervisor, options.nextCommand(), exitWithBootJob, shutdown);
    }

    private static void startBootJob(Supervisor supervisor, List<String> command, boolean exitWithBootJob, Shutdown shutdown) {
        // The boot job is the one that talks to the user: it gets init's own stdin, stdout and stderr.
        Stdio.Target inherit = new Stdio.Target.Inherit();
        JobSpec spec = JobSpec.of(command.getFirst(), command.subList(1, command.size()).toArray(String[]::new))
                .withStdio(new Stdio(inherit, inherit, inherit));
        try {
            Job job = supervisor.put(BOOT_JOB_ID, spec, Caller.ROOT);
            if (job.state() instanceof jinit.api.JobState.Running(int pid)) {
                Console.log("boot job started: " + String.join(" ", command) + " (pid " + pid + ")");
            }
        } catch (JobException e) {
            Console.log("could not start the boot job: " + e.getMessage());
            // 127 is what a shell answers for a command it cannot run.
            if (exitWithBootJob) shutdown.request(Shutdown.Action.EXIT, 127, "a boot job that could not start");
        }
    }

    /**
     * As PID 1, follow busybox init and erlinit: USR1 halts, USR2 and PWR power off, TERM and INT
     * (ctrl-alt-del) reboot. Elsewhere TERM, INT and HUP stop every job and exit.
     */
    private static void installSignalHandlers(Shutdown shutdown, boolean pid1) {
        Map<String, Shutdown.Action> actions = pid1
                ? Map.of("USR1", Shutdown.Action.HALT, "USR2", Shutdown.Action.POWER_OFF, "PWR", Shutdown.Action.POWER_OFF,
                        "TERM", Shutdown.Action.REBOOT, "INT", Shutdown.Action.REBOOT)
                : Map.of("TERM", Shutdown.Action.EXIT, "INT", Shutdown.Action.EXIT, "HUP", Shutdown.Action.EXIT);
        actions.forEach((name, action) -> {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal ->
                        shutdown.request(action, 0, "SIG" + name));
            } catch (IllegalArgumentException e) {
                Console.log("cannot handle SIG" + name + ": " + e.getMessage());
            }
        });
    }
}
