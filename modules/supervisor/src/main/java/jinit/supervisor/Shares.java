package jinit.supervisor;

import jinit.api.FdSpec;
import jinit.api.JobSpec;
import jinit.supervisor.JobException.Reason;

import java.util.HashMap;
import java.util.Map;

/**
 * Who may take how much of init: rows of the job table, and listening sockets that init holds open for a job
 * until it is deleted. Any local user may start jobs as itself, so without shares one user could fill the
 * table (and take every id) before the boot script had started its daemons, or hold init's fds.
 * <ul>
 *   <li>Each user that is not admin may hold a sixteenth of the table, and all of them together leave a sixteenth
 *       to admin: with the default 16,384 rows, 1,024 per user and 1,024 kept for admin. Ended jobs count until
 *       they are deleted.
 *   <li>Each such user's jobs together may hold {@value #SOCKETS_PER_USER} listening sockets.
 * </ul>
 * Guarded by the supervisor's lock.
 */
final class Shares {
    static final int SOCKETS_PER_USER = 64;

    /** What one non-admin uid holds, starts under way included. */
    private static final class Quota {
        final int uid;
        int rows;
        int sockets;

        Quota(int uid) {
            this.uid = uid;
        }
    }

    /** One job's part of its owner's quota: nothing for an admin's job. */
    record Claim(Quota quota, int sockets) {
        static final Claim ADMIN = new Claim(null, 0);
    }

    private final int tableSize;
    private final int perUser;
    private final int adminReserve;
    private final Map<Integer, Quota> quotas = new HashMap<>();
    private int nonAdminRows;

    Shares(int tableSize) {
        this.tableSize = tableSize;
        this.perUser = Math.max(1, tableSize / 16);
        this.adminReserve = Math.max(1, tableSize / 16);
    }

    /**
     * Takes a row (and the spec's sockets) for {@code caller}, or refuses: 507 when the table, or the part not
     * kept for admin, is full; 429 when the caller holds its whole share.
     *
     * @param replacing whether the start replaces an ended row, which it frees
     * @param replaced  that row's claim
     * @param rowsInUse rows in the table plus starts under way
     */
    Claim reserve(Caller caller, JobSpec spec, boolean replacing, Claim replaced, int rowsInUse) throws JobException {
        if (rowsInUse - (replacing ? 1 : 0) >= tableSize) {
            throw new JobException(Reason.FULL, "the job table is full (" + tableSize + " jobs); delete ended jobs first");
        }
        if (caller.admin()) return Claim.ADMIN;
        Quota quota = quotas.computeIfAbsent(caller.uid(), Quota::new);
        boolean replacesOwn = replaced != null && replaced.quota() == quota;
        int sockets = (int) spec.fds().stream().filter(FdSpec.Listen.class::isInstance).count();
        int ownRows = quota.rows - (replacesOwn ? 1 : 0);
        int ownSockets = quota.sockets - (replacesOwn ? replaced.sockets() : 0);
        JobException refusal = null;
        if (ownRows >= perUser) {
            refusal = new JobException(Reason.OVER_SHARE, "rule 'job share': uid " + caller.uid() + " holds " + ownRows
                    + " jobs, the most one user may (" + perUser + "); delete ended jobs first");
        } else if (ownSockets + sockets > SOCKETS_PER_USER) {
            refusal = new JobException(Reason.OVER_SHARE, "rule 'socket share': uid " + caller.uid() + "'s jobs hold "
                    + ownSockets + " listening sockets, and this one asks for " + sockets + " more; one user's jobs may hold "
                    + SOCKETS_PER_USER + " (delete ended jobs to release theirs)");
        } else if (nonAdminRows - (replaced != null && replaced.quota() != null ? 1 : 0) >= tableSize - adminReserve) {
            refusal = new JobException(Reason.FULL, "the job table is full for users other than admin ("
                    + (tableSize - adminReserve) + " jobs; the last " + adminReserve + " are kept for admin); delete ended jobs first");
        }
        if (refusal != null) {
            if (quota.rows == 0) quotas.remove(quota.uid);
            throw refusal;
        }
        quota.rows++;
        quota.sockets += sockets;
        nonAdminRows++;
        return new Claim(quota, sockets);
    }

    /** Gives back what {@code claim} took. */
    void release(Claim claim) {
        Quota quota = claim.quota();
        if (quota == null) return;
        quota.rows--;
        quota.sockets -= claim.sockets();
        nonAdminRows--;
        if (quota.rows == 0) quotas.remove(quota.uid);
    }
}
