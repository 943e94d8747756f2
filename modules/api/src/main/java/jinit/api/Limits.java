package jinit.api;

/**
 * What a job may take of the board, enforced by its cgroup (cgroup v2): each one null when not limited.
 *
 * @param memory    bytes, memory.max: past it the kernel reclaims, then the OOM killer ends a process of the job
 * @param pids      processes and threads, pids.max: a fork past it fails with EAGAIN
 * @param cpuWeight 1 to 10000, cpu.weight: the job's share of CPU time against its siblings (the kernel's default is 100)
 */
public record Limits(Long memory, Long pids, Integer cpuWeight) {
    /** No limit at all: the job runs as jobs did before cgroups, in a cgroup of its own. */
    public static final Limits NONE = new Limits(null, null, null);
    public static final int MIN_CPU_WEIGHT = 1;
    public static final int MAX_CPU_WEIGHT = 10_000;

    public boolean none() {
        return memory == null && pids == null && cpuWeight == null;
    }
}
