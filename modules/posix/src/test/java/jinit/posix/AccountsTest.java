package jinit.posix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccountsTest {
    private static final String PASSWD = """
            root:x:0:0:root:/root:/bin/bash
            # a comment line
            daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
            nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
            alice:x:1000:1000:Alice,,,:/home/alice:/bin/sh
            broken-line
            """;
    private static final String GROUP = """
            root:x:0:
            users:x:100:alice,bob
            video:x:44:bob,alice
            nogroup:x:65534:
            alice:x:1000:
            audio:x:29:
            """;

    @TempDir
    Path dir;

    private Accounts accounts;

    @BeforeEach
    void writeFiles() throws IOException {
        accounts = new Accounts(Files.writeString(dir.resolve("passwd"), PASSWD), Files.writeString(dir.resolve("group"), GROUP));
    }

    private static void assertCredentials(int uid, int gid, int[] groups, Credentials actual) {
        assertEquals(uid, actual.uid(), "uid");
        assertEquals(gid, actual.gid(), "gid");
        assertArrayEquals(groups, actual.supplementaryGroups(), "groups");
    }

    @Test
    void userAlone() throws Exception {
        assertCredentials(1000, 1000, new int[] {1000, 100, 44}, accounts.resolve("alice", null));
        assertCredentials(65534, 65534, new int[] {65534}, accounts.resolve("nobody", null));
    }

    @Test
    void userByNumberUsesTheEntry() throws Exception {
        assertCredentials(1000, 1000, new int[] {1000, 100, 44}, accounts.resolve("1000", null));
    }

    @Test
    void groupAlone() throws Exception {
        assertCredentials(0, 29, new int[] {29}, accounts.resolve(null, "audio"));
        assertCredentials(0, 4242, new int[] {4242}, accounts.resolve(null, "4242"));
    }

    @Test
    void userAndGroup() throws Exception {
        assertCredentials(1000, 29, new int[] {29, 100, 44}, accounts.resolve("alice", "audio"));
        assertCredentials(1000, 100, new int[] {100, 44}, accounts.resolve("alice", "users"));
    }

    @Test
    void aUidWithoutAnEntryNeedsAGroupAndNeverGetsItsOwnNumber() throws Exception {
        assertEquals("uid 4711 has no entry in /etc/passwd, so it has no group; name one with \"group\"",
                assertThrows(UnknownAccountException.class, () -> accounts.resolve("4711", null)).getMessage());
        assertCredentials(4711, 44, new int[] {44}, accounts.resolve("4711", "video"));
    }

    @Test
    void entriesByUid() {
        assertEquals(Optional.of(new Accounts.PasswdEntry("alice", 1000, 1000, "/home/alice", "/bin/sh")), accounts.entry(1000));
        assertEquals(Optional.empty(), accounts.entry(4711));
    }

    @Test
    void unknownNames() {
        assertEquals("unknown user 'bob'",
                assertThrows(UnknownAccountException.class, () -> accounts.resolve("bob", null)).getMessage());
        assertEquals("unknown group 'x'",
                assertThrows(UnknownAccountException.class, () -> accounts.resolve("alice", "x")).getMessage());
        assertThrows(UnknownAccountException.class, () -> accounts.resolve("-1", null));
        assertThrows(UnknownAccountException.class, () -> accounts.resolve("99999999999", null));
    }

    @Test
    void neitherMeansStayRoot() throws Exception {
        assertNull(accounts.resolve(null, null));
    }

    @Test
    void missingFilesAreEmpty() throws Exception {
        Accounts none = new Accounts(dir.resolve("no-passwd"), dir.resolve("no-group"));
        assertCredentials(7, 9, new int[] {9}, none.resolve("7", "9"));
        assertThrows(UnknownAccountException.class, () -> none.resolve("root", null));
    }

    @Test
    void changesAreSeenAtOnce() throws Exception {
        Files.writeString(dir.resolve("passwd"), PASSWD + "bob:x:1001:100::/home/bob:/bin/sh\n");
        assertCredentials(1001, 100, new int[] {100, 44}, accounts.resolve("bob", null));
    }

    @Property
    void anyNumericPairIsAccepted(
            @ForAll @IntRange(min = 2000, max = Integer.MAX_VALUE) int uid,
            @ForAll @IntRange(min = 2000, max = Integer.MAX_VALUE) int gid) throws Exception {
        Accounts none = new Accounts(Path.of("/nonexistent/passwd"), Path.of("/nonexistent/group"));
        assertCredentials(uid, gid, new int[] {gid}, none.resolve(Integer.toString(uid), Integer.toString(gid)));
    }
}
