package jinit.posix;

/**
 * What jinit-exec reports before it execs a job's program: the step that failed, and its errno. The step
 * numbers are the {@code enum step} of {@code src/main/c/jinit-exec.c}; keep the two in step.
 */
record HelperReport(int step, int errno, String lostBecause) {
    static final int SIZE = 8;
    static final int READY = 0;
    static final int SETGROUPS = 1;
    static final int SETGID = 2;
    static final int SETUID = 3;
    static final int CHDIR = 4;
    static final int SEARCH = 5;
    static final int CHECK = 6;
    static final int USAGE = 7;
    static final int CGROUP = 8;

    HelperReport(int step, int errno) {
        this(step, errno, null);
    }

    /** No report came: the helper died first (killed, or a bug), or reading it failed. */
    static HelperReport lost(String because, int errno) {
        return new HelperReport(-1, errno, because);
    }

    /** Throws what the failed step means for the job; returns for {@link #READY}. */
    void throwIfFailed(SpawnRequest request) throws SpawnException {
        if (lostBecause != null) {
            throw new SpawnException(errno, "jinit-exec ended before it reported (" + lostBecause + ")");
        }
        if (step == READY) {
            return;
        }
        String why = LibC.strerror(errno);
        throw switch (step) {
            case SETGROUPS, SETGID, SETUID -> {
                Credentials ids = request.credentials();
                String call = step == SETGROUPS ? "setgroups" : step == SETGID ? "setresgid" : "setresuid";
                String subject = step == SETGROUPS ? null : Integer.toString(step == SETGID ? ids.gid() : ids.uid());
                yield new SpawnException(errno, Errno.message(call, subject, why, errno));
            }
            case CHDIR -> new SpawnException(errno, Errno.message("chdir", request.cwd(), why, errno));
            case SEARCH -> ProgramSearch.notFound(request.path(), request.searchPath(), errno, why);
            case CHECK -> new SpawnException(errno, Errno.message("exec", request.path(), why, errno));
            case USAGE -> new SpawnException(errno, "jinit-exec refused its arguments: " + why);
            case CGROUP -> new SpawnException(errno, Errno.message("join cgroup", null, why, errno));
            default -> new SpawnException(errno, "jinit-exec reported an unknown step " + step + ": " + why);
        };
    }
}
