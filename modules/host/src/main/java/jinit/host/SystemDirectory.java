package jinit.host;

import jinit.api.AccountRef;
import jinit.posix.Accounts;
import jinit.posix.Credentials;
import jinit.posix.UnknownAccountException;
import jinit.supervisor.Directory;

import java.util.HashSet;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/** The access rules' view of /etc/passwd and /etc/group, read afresh on every question. */
public final class SystemDirectory implements Directory {
    private final Accounts accounts;

    public SystemDirectory(Accounts accounts) {
        this.accounts = accounts;
    }

    @Override
    public OptionalInt uid(AccountRef user) {
        try {
            return OptionalInt.of(accounts.resolve(user.text(), null).uid());
        } catch (UnknownAccountException e) {
            return OptionalInt.empty();
        }
    }

    @Override
    public OptionalInt gid(AccountRef group) {
        try {
            return OptionalInt.of(accounts.resolve(null, group.text()).gid());
        } catch (UnknownAccountException e) {
            return OptionalInt.empty();
        }
    }

    @Override
    public Optional<Account> account(int uid) {
        return accounts.entry(uid).map(entry -> new Account(entry.name(), entry.home(), entry.shell()));
    }

    @Override
    public Set<Integer> groupsOf(int uid) {
        Set<Integer> groups = new HashSet<>();
        try {
            Credentials credentials = accounts.resolve(Integer.toString(uid), null);
            groups.add(credentials.gid());
            for (int gid : credentials.supplementaryGroups()) groups.add(gid);
        } catch (UnknownAccountException e) {
            // No passwd entry: no groups to claim.
        }
        return groups;
    }
}
