package jinit.supervisor;

import jinit.api.AccountRef;

import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/** The system's users and groups, as access rules need them. */
public interface Directory {
    /** A user's passwd entry, as much of it as a job's environment needs. */
    record Account(String name, String home, String shell) {}

    /** The uid a spec's user names; empty if there is no such user. */
    OptionalInt uid(AccountRef user);

    /** The gid a spec's group names; empty if there is no such group. */
    OptionalInt gid(AccountRef group);

    /** The passwd entry of a uid; empty if it has none. */
    Optional<Account> account(int uid);

    /** Every group a uid belongs to: its primary group and those /etc/group lists it in; none without an entry. */
    Set<Integer> groupsOf(int uid);
}
