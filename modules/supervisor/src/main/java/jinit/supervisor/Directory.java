package jinit.supervisor;

import jinit.api.AccountRef;

import java.util.Set;

/** The system's users and groups, as access rules need them. */
public interface Directory {
    /** The uid a spec's user names; empty if there is no such user. */
    java.util.OptionalInt uid(AccountRef user);

    /** The gid a spec's group names; empty if there is no such group. */
    java.util.OptionalInt gid(AccountRef group);

    /** Every group a uid belongs to: its primary group and those /etc/group lists it in. */
    Set<Integer> groupsOf(int uid);
}
