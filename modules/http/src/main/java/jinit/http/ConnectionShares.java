package jinit.http;

import jinit.supervisor.Caller;

import java.util.HashMap;
import java.util.Map;

/**
 * How many connections users other than admin may keep busy: each uid a share, all of them together a share, so
 * that no user can lock root out of init by holding connections (issue 10). jdk.httpserver enforces its
 * maxConnections when it accepts, before a byte is read and so before anyone is known; only here, once a request has
 * named its caller, can a connection be charged to a uid.
 *
 * <p>What is counted is requests in progress: from the moment the caller is known to the end of the answer. HTTP/1.1
 * without pipelining runs one request per connection at a time, so that is the number of connections the uid keeps
 * busy, and it includes what holds a connection longest: event streams, log follows, {@code ?wait=} and stops. The
 * other states a connection can be in are bounded by jdk.httpserver itself (see ApiServer.SERVER_LIMITS): idle
 * keep-alive connections by maxIdleConnections, for everyone together; connections still sending their request, or
 * nothing at all, by maxReqTime. The total share leaves room for both, and for admin.
 */
final class ConnectionShares {
    /** Busy connections one non-admin uid may have: far more than any client needs, a sliver of the total. */
    static final int PER_USER = 64;
    /** Connections never given to non-admins' requests: admin's, beyond the idle keep-alive pool. */
    static final int ADMIN_RESERVE = 256;

    /** @param perUser busy connections per non-admin uid; @param allUsers busy connections of all non-admins together */
    record Limits(int perUser, int allUsers) {
        /**
         * The shares for a server that holds at most {@code maxConnections} (0 or less: no limit), of which up to
         * {@code maxIdle} idle: non-admins together get what is left after the idle pool and {@link #ADMIN_RESERVE}.
         */
        static Limits of(int maxConnections, int maxIdle) {
            int allUsers = maxConnections <= 0 ? Integer.MAX_VALUE : Math.max(0, maxConnections - ADMIN_RESERVE - Math.max(0, maxIdle));
            return new Limits(Math.min(PER_USER, allUsers), allUsers);
        }
    }

    /** A request's hold on its share, given back when the answer is over; admin's hold nothing. */
    @FunctionalInterface
    interface Claim extends AutoCloseable {
        Claim NONE = () -> { };

        @Override
        void close();
    }

    private final Limits limits;
    /** Busy connections per non-admin uid; a uid with none has no entry. Guarded by this. */
    private final Map<Integer, Integer> busy = new HashMap<>();
    private int allBusy;

    ConnectionShares(Limits limits) {
        this.limits = limits;
    }

    /** Charges one busy connection to {@code caller}, or refuses with a 429 that names the rule and the number. */
    Claim claim(Caller caller) throws HttpError {
        if (caller.admin()) return Claim.NONE;
        int uid = caller.uid();
        synchronized (this) {
            int mine = busy.getOrDefault(uid, 0);
            if (mine >= limits.perUser()) {
                throw HttpError.rule(429, "connections per user", "uid " + uid + " already has " + mine
                        + " requests in progress (event streams, log follows and waits count), the most one user may have;"
                        + " end one first");
            }
            if (allBusy >= limits.allUsers()) {
                throw HttpError.rule(429, "connections for all users", "users other than root already have " + allBusy
                        + " requests in progress, the most they may have together; the rest is kept for root");
            }
            busy.put(uid, mine + 1);
            allBusy++;
        }
        return new Held(uid);
    }

    /** A claim on {@code uid}'s share; closing it more than once gives back one connection only. */
    private final class Held implements Claim {
        private final int uid;
        private boolean released;

        Held(int uid) {
            this.uid = uid;
        }

        @Override
        public void close() {
            synchronized (ConnectionShares.this) {
                if (released) return;
                released = true;
                int left = busy.get(uid) - 1;
                if (left == 0) busy.remove(uid);
                else busy.put(uid, left);
                allBusy--;
            }
        }
    }
}
