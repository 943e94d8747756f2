package jinit.api;

/**
 * What a running job takes now, as its cgroup counts it: the job and every process it started, setsid ones too.
 *
 * @param memory bytes charged to it (memory.current: its pages, page cache and kernel memory), or -1 when unknown
 * @param pids   processes and threads (pids.current), or -1 when unknown
 * @param cpuMs  CPU time used since the cgroup was made, user and system (cpu.stat usage_usec / 1000), or -1
 */
public record Usage(long memory, long pids, long cpuMs) {}
