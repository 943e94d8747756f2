package jinit.boot;

import static jinit.boot.JobAssertions.assertSpec;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import jinit.api.ExitStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A job's "user" and "group", read back from the child's /proc/PID/status. A user of our own, in
 * two supplementary groups of our own, is created for the class and removed after it.
 */
class JobCredentialsTest {
    private static final String USER = "jinit-it-user";
    private static final String GROUP_A = "jinit-it-a";
    private static final String GROUP_B = "jinit-it-b";
    private static final int NOBODY = 65534;
    private static final int NOGROUP = 65534;

    private static int userUid;
    private static int gidA;
    private static int gidB;
    private static Daemon daemon;

    @BeforeAll
    static void createAccountsAndStartDaemon() throws Exception {
        removeAccounts();
        command("/usr/sbin/groupadd", GROUP_A);
        command("/usr/sbin/groupadd", GROUP_B);
        command("/usr/sbin/useradd", "--no-create-home", "--no-user-group", "--gid", "nogroup",
                "--groups", GROUP_A + "," + GROUP_B, "--shell", "/usr/sbin/nologin", USER);
        userUid = idOf(Path.of("/etc/passwd"), USER);
        gidA = idOf(Path.of("/etc/group"), GROUP_A);
        gidB = idOf(Path.of("/etc/group"), GROUP_B);
        daemon = Daemon.start();
    }

    @AfterAll
    static void stopDaemonAndRemoveAccounts() throws Exception {
        try {
            if (daemon != null) daemon.close();
        } finally {
            removeAccounts();
        }
    }

    private static void removeAccounts() throws Exception {
        // Also cleans up after an earlier run that was killed; "not found" is fine.
        Processes.run("/usr/sbin/userdel", USER);
        Processes.run("/usr/sbin/groupdel", GROUP_A);
        Processes.run("/usr/sbin/groupdel", GROUP_B);
    }

    private static void command(String... argv) throws Exception {
        Processes.Result result = Processes.run(argv);
        assertEquals(new ExitStatus.Code(0), result.status(), () -> String.join(" ", argv) + ": " + result);
    }

    /** The third field of the line for {@code name} in a passwd or group file. */
    private static int idOf(Path file, String name) throws IOException {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.map(line -> line.split(":")).filter(fields -> fields[0].equals(name))
                    .mapToInt(fields -> Integer.parseInt(fields[2])).findFirst()
                    .orElseThrow(() -> new AssertionError(name + " is not in " + file));
        }
    }

    @AfterEach
    void killRunningJobs() throws Exception {
        daemon.killRunningJobs();
    }

    /** The credentials the kernel reports for a process. */
    record Ids(List<Integer> uid, List<Integer> gid, List<Integer> groups) {
        /** Real, effective, saved and filesystem ids all {@code uid} and {@code gid}; {@code groups} sorted. */
        static Ids of(int uid, int gid, Integer... groups) {
            return new Ids(List.of(uid, uid, uid, uid), List.of(gid, gid, gid, gid), Stream.of(groups).sorted().toList());
        }

        static Ids read(int pid) throws IOException {
            return new Ids(ProcFs.ids(pid, "Uid"), ProcFs.ids(pid, "Gid"), ProcFs.ids(pid, "Groups").stream().sorted().toList());
        }
    }

    /** Starts a sleeping job with these "user"/"group" fields (null leaves one out) and reads its ids. */
    private static Ids runAs(String id, Object user, Object group) throws Exception {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("exec", "/bin/sleep");
        spec.put("args", List.of("1000"));
        if (user != null) spec.put("user", user);
        if (group != null) spec.put("group", group);
        int pid = daemon.start(id, Json.write(spec));
        ProcFs.awaitExec(pid, List.of("/bin/sleep", "1000"));
        return Ids.read(pid);
    }

    @Test
    void aUserByNameGetsItsUidAndPrimaryGroup() throws Exception {
        assertEquals(Ids.of(NOBODY, NOGROUP, NOGROUP), runAs("as-nobody", "nobody", null));
        assertSpec("{\"user\":\"nobody\",\"group\":null}", daemon.job("as-nobody"));
    }

    @Test
    void aUserGetsEveryGroupThatListsIt() throws Exception {
        assertEquals(Ids.of(userUid, NOGROUP, NOGROUP, gidA, gidB), runAs("as-user", USER, null));
    }

    @Test
    void aNumericUserIsLookedUpToo() throws Exception {
        assertEquals(Ids.of(NOBODY, NOGROUP, NOGROUP), runAs("as-65534", NOBODY, null));
        assertEquals(Ids.of(userUid, NOGROUP, NOGROUP, gidA, gidB), runAs("as-uid", userUid, null));
        assertEquals(Ids.of(userUid, NOGROUP, NOGROUP, gidA, gidB), runAs("as-uid-text", Integer.toString(userUid), null));
        assertSpec("{\"user\":" + userUid + "}", daemon.job("as-uid-text"));
    }

    @Test
    void aNumericUserWithoutAnEntryNeedsAGroupAndNeverGetsItsOwnNumber() throws Exception {
        Http.Response refused = daemon.put("/job/as-4242", "{\"exec\":\"/bin/sleep\",\"args\":[\"1000\"],\"user\":4242}");
        assertEquals(422, refused.status(), refused::toString);
        assertEquals(Ids.of(4242, NOGROUP, NOGROUP), runAs("as-4242-nogroup", 4242, "nogroup"));
    }

    @Test
    void aGroupWithoutAUserKeepsUidZero() throws Exception {
        assertEquals(Ids.of(0, NOGROUP, NOGROUP), runAs("as-nogroup", null, "nogroup"));
        assertEquals(Ids.of(0, gidA, gidA), runAs("as-group-a", null, GROUP_A));
        assertEquals(Ids.of(0, 4343, 4343), runAs("as-gid", null, 4343));
    }

    @Test
    void aUserAndAGroupGetThatGroupAndTheUsersOthers() throws Exception {
        assertEquals(Ids.of(NOBODY, gidA, gidA), runAs("nobody-in-a", "nobody", GROUP_A));
        assertEquals(Ids.of(userUid, gidB, gidA, gidB), runAs("user-in-b", USER, GROUP_B));
    }

    @Test
    void theDaemonItselfStaysRootInEveryThread() throws Exception {
        runAs("switch-1", "nobody", null);
        runAs("switch-2", USER, GROUP_A);
        runAs("switch-3", null, "nogroup");
        // The daemon started with the test JVM's own credentials: root.
        String expected = ids(Path.of("/proc/self/status"));
        List<String> changed = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Integer.toString(daemon.pid()), "task"))) {
            for (Path task : tasks.toList()) {
                String ids = ids(task.resolve("status"));
                if (!ids.equals(expected)) changed.add(task.getFileName() + ": " + ids);
            }
        }
        assertEquals(List.of(), changed, "threads of the daemon whose ids are not " + expected);
    }

    /** "Uid … / Gid … / Groups …" of a process or thread. */
    private static String ids(Path status) throws IOException {
        List<String> ids = new ArrayList<>();
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("Uid:") || line.startsWith("Gid:") || line.startsWith("Groups:")) ids.add(line.strip());
        }
        return String.join(" / ", ids);
    }
}
