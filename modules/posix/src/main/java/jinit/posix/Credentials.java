package jinit.posix;

import java.util.Arrays;

/**
 * The identity a child runs as: real, effective and saved ids all become {@code uid}/{@code gid},
 * and the supplementary groups are exactly {@code supplementaryGroups}.
 */
public record Credentials(int uid, int gid, int[] supplementaryGroups) {
    public Credentials {
        supplementaryGroups = supplementaryGroups.clone();
    }

    @Override
    public int[] supplementaryGroups() {
        return supplementaryGroups.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Credentials c
                && c.uid == uid
                && c.gid == gid
                && Arrays.equals(c.supplementaryGroups, supplementaryGroups);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * uid + gid) + Arrays.hashCode(supplementaryGroups);
    }

    @Override
    public String toString() {
        return "Credentials[uid=" + uid + ", gid=" + gid + ", groups=" + Arrays.toString(supplementaryGroups) + "]";
    }
}
