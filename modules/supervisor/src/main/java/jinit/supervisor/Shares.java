package jinit.supervisor;

import jinit.supervisor.JobException.Reason;

import java.util.HashMap;
import java.util.Map;

/**
 * Who may take how many rows of the job table. Any local user may start jobs as itself, so without shares
 * one user could fill the table (and take every id) before the boot script had started its daemons. Each
 * non-admin uid may hold a sixteenth of the table, and all of them together leave a sixteenth to admin:
 * with the default 16,384 rows, 1,024 per user and 1,024 kept for admin. Ended jobs count until deleted.
 * Guarded by the supervisor's lock.
 */
final class Shares {
    /** The rows one non-admin uid holds, in flight included. */
    static final class Quota {
        final int uid;
        int rows;

        Quota(int uid) {
            this.uid = uid;
        }
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

    /** The quota a caller's new row counts against: none for an admin. */
    Quota quotaOf(Caller caller) {
        return caller.admin() ? null : quotas.computeIfAbsent(caller.uid(), Quota::new);
    }

    /**
     * Takes a row for {@code caller}, or refuses: 507 when the table (or the part not kept for admin) is full,
     * 429 when the caller holds its whole share.
     *
     * @param replacing   whether the start replaces an ended row, which it frees
     * @param replaced    that row's quota, if it was a non-admin's
     * @param rowsInUse   rows in the table plus starts under way
     */
    void reserve(Caller caller, boolean replacing, Quota replaced, int rowsInUse) throws JobException {
        int freed = replacing ? 1 : 0;
        if (rowsInUse - freed >= tableSize) {
            throw new JobException(Reason.FULL, "the job table is full (" + tableSize + " jobs); delete ended jobs first");
        }
        Quota quota = quotaOf(caller);
        if (quota == null) return;
        int own = quota.rows - (replaced == quota ? 1 : 0);
        if (own >= perUser) {
            if (quota.rows == 0) quotas.remove(quota.uid);
            throw new JobException(Reason.OVER_SHARE, "rule 'job share': uid " + caller.uid() + " holds " + own
                    + " jobs, the most one user may (" + perUser + "); delete ended jobs first");
        }
        if (nonAdminRows - (replaced != null ? 1 : 0) >= tableSize - adminReserve) {
            if (quota.rows == 0) quotas.remove(quota.uid);
            throw new JobException(Reason.FULL, "the job table is full for users other than admin (" + (tableSize - adminReserve)
                    + " jobs; the last " + adminReserve + " are kept for admin); delete ended jobs first");
        }
        quota.rows++;
        nonAdminRows++;
    }

    /** Gives back a row of {@code quota} (null: an admin's row, which no share counts). */
    void release(Quota quota) {
        if (quota == null) return;
        quota.rows--;
        nonAdminRows--;
        if (quota.rows == 0) quotas.remove(quota.uid);
    }
}
