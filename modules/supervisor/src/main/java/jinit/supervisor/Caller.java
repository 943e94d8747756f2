package jinit.supervisor;

/**
 * Who is asking. Admin (uid 0, or anyone holding init's per-boot token) may do everything; anyone else
 * acts only on the jobs it owns.
 *
 * @param uid   the caller's uid; an admin by token keeps its real uid here when known, else 0
 * @param admin whether every rule is waived
 */
public record Caller(int uid, boolean admin) {
    /** init itself, and root over loopback. */
    public static final Caller ROOT = new Caller(0, true);

    public boolean owns(int owner) {
        return admin || owner == uid;
    }
}
