package jinit.posix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Turns a job's "user" and "group" into {@link Credentials} using /etc/passwd and /etc/group.
 * The files are read on every call: they are small, and an administrator may edit them at run time.
 * A missing file counts as empty, so numeric ids still work on a bare rootfs.
 */
public final class Accounts {
    private final Path passwd;
    private final Path group;

    public Accounts() {
        this(Path.of("/etc/passwd"), Path.of("/etc/group"));
    }

    public Accounts(Path passwd, Path group) {
        this.passwd = passwd;
        this.group = group;
    }

    /** One line of /etc/passwd, as far as jinit reads it. */
    public record PasswdEntry(String name, int uid, int gid, String home, String shell) {}

    private record Group(String name, int gid, List<String> members) {}

    /**
     * Resolves a user and/or group, each a name or a decimal id; either may be null.
     * <ul>
     *   <li>user only: the user's uid and primary gid; groups are the primary gid plus every group listing the user.
     *   <li>group only: uid 0 with that gid; groups are just that gid.
     *   <li>both: the user's uid with that gid; groups are that gid plus every group listing the user.
     * </ul>
     * Numeric ids need no entry, but a user without one has no primary group: it needs a group named with it.
     * No gid is ever derived from a uid (uid 27 is not group 27, which is often {@code sudo}).
     *
     * @return null when both are null, which {@link SpawnRequest} reads as "stay root"
     */
    public Credentials resolve(String userOrNull, String groupOrNull) throws UnknownAccountException {
        if (userOrNull == null && groupOrNull == null) {
            return null;
        }
        List<Group> groups = readGroups();
        OptionalInt explicitGid = OptionalInt.empty();
        if (groupOrNull != null) {
            explicitGid = OptionalInt.of(findGroup(groupOrNull, groups));
        }
        if (userOrNull == null) {
            int gid = explicitGid.getAsInt();
            return new Credentials(0, gid, new int[] {gid});
        }
        PasswdEntry user = findUser(userOrNull);
        if (user.name() == null && explicitGid.isEmpty()) {
            throw new UnknownAccountException("uid " + user.uid() + " has no entry in /etc/passwd, so it has no group;"
                    + " name one with \"group\"");
        }
        int gid = explicitGid.orElse(user.gid());
        Set<Integer> supplementary = new LinkedHashSet<>();
        supplementary.add(gid);
        if (user.name() != null) {
            for (Group g : groups) {
                if (g.members().contains(user.name())) {
                    supplementary.add(g.gid());
                }
            }
        }
        return new Credentials(user.uid(), gid, supplementary.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The first passwd entry of {@code uid}, if it has one. */
    public Optional<PasswdEntry> entry(int uid) {
        for (PasswdEntry u : readUsers()) {
            if (u.uid() == uid) {
                return Optional.of(u);
            }
        }
        return Optional.empty();
    }

    /** A user by name, else by number; one without an entry has a null name and no gid (-1). */
    private PasswdEntry findUser(String user) throws UnknownAccountException {
        List<PasswdEntry> users = readUsers();
        for (PasswdEntry u : users) {
            if (u.name().equals(user)) {
                return u;
            }
        }
        int uid = parseId(user).orElseThrow(() -> new UnknownAccountException("unknown user '" + user + "'"));
        for (PasswdEntry u : users) {
            if (u.uid() == uid) {
                return u;
            }
        }
        return new PasswdEntry(null, uid, -1, null, null);
    }

    private static int findGroup(String group, List<Group> groups) throws UnknownAccountException {
        for (Group g : groups) {
            if (g.name().equals(group)) {
                return g.gid();
            }
        }
        return parseId(group).orElseThrow(() -> new UnknownAccountException("unknown group '" + group + "'"));
    }

    /** name:password:uid:gid:gecos:home:shell */
    private List<PasswdEntry> readUsers() {
        List<PasswdEntry> users = new ArrayList<>();
        for (String[] f : fields(passwd, 4)) {
            OptionalInt uid = parseId(f[2]);
            OptionalInt gid = parseId(f[3]);
            if (uid.isPresent() && gid.isPresent()) {
                users.add(new PasswdEntry(f[0], uid.getAsInt(), gid.getAsInt(), f.length > 5 ? f[5] : "",
                        f.length > 6 ? f[6] : ""));
            }
        }
        return users;
    }

    /** name:password:gid:member,member */
    private List<Group> readGroups() {
        List<Group> groups = new ArrayList<>();
        for (String[] f : fields(group, 3)) {
            OptionalInt gid = parseId(f[2]);
            if (gid.isPresent()) {
                List<String> members = f.length > 3 && !f[3].isBlank() ? List.of(f[3].trim().split(",")) : List.of();
                groups.add(new Group(f[0], gid.getAsInt(), members));
            }
        }
        return groups;
    }

    /** The colon-separated fields of each line with at least {@code minimum} fields; comments skipped. */
    private static List<String[]> fields(Path file, int minimum) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String[]> result = new ArrayList<>(lines.size());
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(":", -1);
            if (f.length >= minimum && !f[0].isEmpty()) {
                result.add(f);
            }
        }
        return result;
    }

    /** A decimal uid or gid: 0 to 2^31-1, since ids travel as Java ints. */
    private static OptionalInt parseId(String s) {
        if (s.isEmpty() || s.length() > 10 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return OptionalInt.empty();
        }
        long v = Long.parseLong(s);
        return v > Integer.MAX_VALUE ? OptionalInt.empty() : OptionalInt.of((int) v);
    }
}
