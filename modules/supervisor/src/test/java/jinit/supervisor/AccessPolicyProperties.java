package jinit.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jinit.api.AccountRef;
import jinit.api.FdSpec;
import jinit.api.Job;
import jinit.api.JobSpec;
import jinit.api.JobState;
import jinit.api.Restart;
import jinit.api.Stdio;
import jinit.supervisor.Directory.Account;
import jinit.supervisor.JobException.Reason;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;
import net.jqwik.api.statistics.Statistics;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * AccessPolicy against a fake account directory that has the awkward cases a real one can have: several
 * names for uid 0, names that look like numbers, uids without an entry, groups named like users.
 */
class AccessPolicyProperties {

    /** Resolves as jinit.posix.Accounts does: a name first, then a decimal id, which needs no entry. */
    static final class FakeDirectory implements Directory {
        static final Map<String, Integer> USERS = Map.of(
                "root", 0, "toor", 0, "daemon", 1, "alice", 1000, "bob", 1001, "nobody", 65534,
                "1000", 0, // a user whose name is another user's uid, and who is root
                "svc", 1000); // a second name for alice's uid
        static final Map<String, Integer> GROUPS = Map.of(
                "root", 0, "wheel", 10, "alice", 1000, "bob", 1001, "staff", 50, "nogroup", 65534, "1001", 0);
        /** uid -> every group it is in (primary and supplementary). */
        static final Map<Integer, Set<Integer>> MEMBERSHIP = Map.of(
                0, Set.of(0), 1, Set.of(1), 1000, Set.of(1000, 50, 10), 1001, Set.of(1001, 50), 65534, Set.of(65534));

        @Override
        public OptionalInt uid(AccountRef user) {
            return resolve(user, USERS);
        }

        @Override
        public OptionalInt gid(AccountRef group) {
            return resolve(group, GROUPS);
        }

        /** uid -> its passwd entry; a uid not here has none. */
        static final Map<Integer, Account> ACCOUNTS = Map.of(
                0, new Account("root", "/root", "/bin/sh"), 1, new Account("daemon", "/usr/sbin", ""),
                1000, new Account("alice", "/home/alice", "/bin/bash"), 1001, new Account("bob", "", "/bin/sh"),
                65534, new Account("nobody", "/nonexistent", "/usr/sbin/nologin"));

        @Override
        public Optional<Account> account(int uid) {
            return Optional.ofNullable(ACCOUNTS.get(uid));
        }

        @Override
        public Set<Integer> groupsOf(int uid) {
            // A uid without an entry has no groups, as Accounts gives it: never its own number.
            return MEMBERSHIP.getOrDefault(uid, Set.of());
        }

        private static OptionalInt resolve(AccountRef ref, Map<String, Integer> names) {
            return switch (ref) {
                case AccountRef.Id(int id) -> OptionalInt.of(id);
                case AccountRef.Name(String name) when names.containsKey(name) -> OptionalInt.of(names.get(name));
                case AccountRef.Name(String name) when name.matches("[0-9]{1,9}") -> OptionalInt.of(Integer.parseInt(name));
                case AccountRef.Name(String name) -> OptionalInt.empty();
            };
        }
    }

    private final FakeDirectory directory = new FakeDirectory();
    private final AccessPolicy policy = new AccessPolicy(directory);

    @Provide
    Arbitrary<Caller> nonAdmins() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of(1, 1000, 1001, 65534)), // callers with an entry
                Tuple.of(1, Arbitraries.integers().between(1, Integer.MAX_VALUE))) // and any other uid
                .map(uid -> new Caller(uid, false));
    }

    /** Names and numbers for an account: the directory's own, look-alikes, random ones, and {@code likely} often. */
    private static Arbitrary<AccountRef> accounts(Set<String> names, List<AccountRef> likely) {
        Arbitrary<AccountRef> byId = Arbitraries.oneOf(
                Arbitraries.of(0, 1, 10, 50, 1000, 1001, 65534),
                Arbitraries.integers().between(0, Integer.MAX_VALUE)).map(AccountRef.Id::new);
        Arbitrary<AccountRef> byName = Arbitraries.oneOf(
                Arbitraries.of(names),
                Arbitraries.of("0", "00", "1000", "1001", "65534", "ROOT", " root", "root ", "root\n", "-0", "+0", "nosuch"),
                Arbitraries.strings().ofMinLength(1).ofMaxLength(8)).map(AccountRef.Name::new);
        if (likely.isEmpty()) return Arbitraries.oneOf(byId, byName).injectNull(0.3); // a uid without groups
        return Arbitraries.frequencyOf(
                Tuple.of(2, byId),
                Tuple.of(2, byName),
                Tuple.of(3, Arbitraries.of(likely))).injectNull(0.3);
    }

    /** How the caller itself may be named: by number, by its decimal string, by each name its uid has. */
    private static List<AccountRef> namesOf(int uid, Map<String, Integer> directory) {
        List<AccountRef> names = new ArrayList<>(List.of(new AccountRef.Id(uid), new AccountRef.Name(Integer.toString(uid))));
        directory.forEach((name, id) -> {
            if (id == uid) names.add(new AccountRef.Name(name));
        });
        return names;
    }

    /** A caller and the spec it sends; the spec names the caller and its groups often, other accounts too. */
    @Provide
    Arbitrary<Tuple2<Caller, JobSpec>> requests() {
        return nonAdmins().flatMap(caller -> {
            List<AccountRef> groups = new ArrayList<>();
            for (int gid : directory.groupsOf(caller.uid())) groups.addAll(namesOf(gid, FakeDirectory.GROUPS));
            return Combinators.combine(accounts(FakeDirectory.USERS.keySet(), namesOf(caller.uid(), FakeDirectory.USERS)),
                            accounts(FakeDirectory.GROUPS.keySet(), groups), stdio(), fds(), envs())
                    .as((user, group, io, passed, environment) -> Tuple.of(caller,
                            spec(user, group, io, passed, environment)));
        });
    }

    @Provide
    Arbitrary<JobSpec> specs() {
        return Combinators.combine(accounts(FakeDirectory.USERS.keySet(), List.of(new AccountRef.Id(1000))),
                        accounts(FakeDirectory.GROUPS.keySet(), List.of(new AccountRef.Id(50))), stdio(), fds(), envs())
                .as(AccessPolicyProperties::spec);
    }

    private static JobSpec spec(AccountRef user, AccountRef group, Stdio stdio, List<FdSpec> fds, Map<String, String> envs) {
        return new JobSpec("/bin/sh", List.of("-c", "id"), "/", envs, user, group, Restart.NEVER, stdio,
                JobSpec.DEFAULT_LOG_BYTES, fds, JobSpec.DEFAULT_STOP_TIMEOUT);
    }

    private static Arbitrary<Stdio> stdio() {
        Arbitrary<Stdio.Target> targets = Arbitraries.of(new Stdio.Target.Null(), new Stdio.Target.Log(),
                new Stdio.Target.Console(), new Stdio.Target.Inherit(), new Stdio.Target.File("/etc/shadow", false));
        Arbitrary<Stdio.Target> stderr = Arbitraries.oneOf(targets, Arbitraries.just(new Stdio.Target.SameAsStdout()));
        // Mostly the default, so that enough specs get past the rules on stdio to test the rules on accounts.
        return Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(Stdio.DEFAULT)),
                Tuple.of(2, Combinators.combine(targets, targets, stderr).as(Stdio::new)));
    }

    private static Arbitrary<List<FdSpec>> fds() {
        Arbitrary<FdSpec> listen = Arbitraries.of("tcp://0.0.0.0:80", "tcp://127.0.0.1:8080", "udp://[::1]:5353",
                        "tcp://0.0.0.0:1023", "tcp://0.0.0.0:1024", "tcp://0.0.0.0:00080", "tcp://[::1]:80", "udp://0.0.0.0:0",
                        "tcp://127.0.0.1:\u0668\u0660", "tcp://127.0.0.1:+80", "tcp://127.0.0.1:80/", "tcp://127.0.0.1",
                        "unix:/run/x.sock", "unix:@abstract", "tcp://[::1]:80]:8080")
                .map(uri -> new FdSpec.Listen(uri, "n"));
        Arbitrary<FdSpec> file = Arbitraries.of("r", "w", "a", "rw").map(mode -> new FdSpec.File("/etc/passwd", mode, "f"));
        return Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(List.<FdSpec>of())),
                Tuple.of(2, Arbitraries.oneOf(listen, listen, file).list().ofMinSize(1).ofMaxSize(2)));
    }

    private static Arbitrary<Map<String, String>> envs() {
        return Arbitraries.maps(Arbitraries.of("PATH", "SECRET", "HOME"), Arbitraries.strings().ofMaxLength(5)).injectNull(0.3);
    }

    /** What a non-admin caller may start runs as that caller, with one of its groups, and never as uid 0. */
    @Property(tries = 5000, edgeCases = EdgeCasesMode.NONE) // a flatMap's edge cases take seconds to compute
    void anAdmittedSpecRunsAsTheCallerInOneOfItsGroups(@ForAll("requests") Tuple2<Caller, JobSpec> request) {
        Caller caller = request.get1();
        JobSpec spec = request.get2();
        JobSpec admitted;
        try {
            admitted = policy.admitStart(caller, null, spec);
            Statistics.collect("admitted");
        } catch (JobException e) {
            Statistics.collect("refused");
            assertEquals(Reason.FORBIDDEN, e.reason(), e::getMessage);
            assertTrue(e.getMessage().startsWith("rule '"), () -> "a refusal names its rule: " + e.getMessage());
            return;
        } finally {
            // Not a vacuous property: a fair share of the specs must get through.
            Statistics.coverage(coverage -> coverage.check("admitted").percentage(p -> p > 10));
        }
        assertNotNull(admitted.user(), "an admitted spec names its user");
        OptionalInt uid = directory.uid(admitted.user());
        assertEquals(OptionalInt.of(caller.uid()), uid, () -> "user " + admitted.user() + " of " + admitted);
        assertNotEquals(0, uid.getAsInt());
        if (admitted.group() != null) {
            OptionalInt gid = directory.gid(admitted.group());
            assertTrue(gid.isPresent() && directory.groupsOf(caller.uid()).contains(gid.getAsInt()),
                    () -> "group " + admitted.group() + " is not one of uid " + caller.uid() + "'s " + directory.groupsOf(caller.uid()));
        }
        Account account = directory.account(caller.uid()).orElseThrow(() -> new AssertionError("admitted without an entry"));
        // Only the user, and the environment when none was given, may have been filled in; nothing else changes.
        JobSpec expected = spec.withUser(admitted.user());
        if (spec.envs() == null) expected = expected.withEnvs(AccessPolicy.loginEnvironment(account));
        assertEquals(expected, admitted);
        if (spec.user() != null) assertEquals(spec.user(), admitted.user());
    }

    /** A user absent from the spec becomes the caller, by number. */
    @Property(tries = 500)
    void aMissingUserBecomesTheCaller(@ForAll("nonAdmins") Caller caller) throws JobException {
        if (directory.account(caller.uid()).isEmpty()) return;
        assertEquals(new AccountRef.Id(caller.uid()), policy.admitStart(caller, null, JobSpec.of("/bin/true")).user());
    }

    /** A uid without a passwd entry has no groups to claim: it starts nothing, whatever it asks. */
    @Property(tries = 1000, edgeCases = EdgeCasesMode.NONE)
    void aCallerWithoutAnEntryIsRefused(@ForAll("requests") Tuple2<Caller, JobSpec> request) {
        Caller caller = request.get1();
        if (directory.account(caller.uid()).isPresent()) return;
        JobException refused = assertThrows(JobException.class, () -> policy.admitStart(caller, null, request.get2()));
        assertTrue(refused.getMessage().startsWith("rule 'known account'"), refused::getMessage);
    }

    /** A job without envs gets what login(1) would set, from the caller's own entry, and nothing of init's. */
    @Property(tries = 200)
    void aJobWithoutEnvsGetsTheCallersLoginEnvironment(@ForAll("nonAdmins") Caller caller) throws JobException {
        Optional<Account> account = directory.account(caller.uid());
        if (account.isEmpty()) return;
        Map<String, String> environment = policy.admitStart(caller, null, JobSpec.of("/bin/true")).envs();
        assertEquals(List.of("PATH", "HOME", "USER", "LOGNAME", "SHELL"), List.copyOf(environment.keySet()));
        assertEquals(account.get().name(), environment.get("USER"));
        assertEquals(account.get().name(), environment.get("LOGNAME"));
        assertEquals(JobSpec.DEFAULT_PATH, environment.get("PATH"));
        assertTrue(environment.get("HOME").startsWith("/") && environment.get("SHELL").startsWith("/"), environment::toString);
        Map<String, String> own = Map.of("A", "1");
        assertEquals(own, policy.admitStart(caller, null, JobSpec.of("/bin/true").withEnvs(own)).envs());
    }

    /** A non-admin chooses only ids in its own name's space, so none can take an id the boot script will want. */
    @Property(tries = 1000)
    void aChosenIdMustStartWithTheCallersName(@ForAll("nonAdmins") Caller caller,
                                             @ForAll("chosenIds") String id) throws JobException {
        Optional<Account> account = directory.account(caller.uid());
        if (account.isEmpty()) return;
        if (id.startsWith(account.get().name() + ".")) {
            policy.admitStart(caller, id, JobSpec.of("/bin/true"));
            Statistics.collect("own");
        } else {
            JobException refused = assertThrows(JobException.class, () -> policy.admitStart(caller, id, JobSpec.of("/bin/true")));
            assertTrue(refused.getMessage().startsWith("rule 'your own ids'"), refused::getMessage);
            Statistics.collect("other");
        }
        policy.admitStart(Caller.ROOT, id, JobSpec.of("/bin/true"));
        Statistics.coverage(coverage -> coverage.check("own").count(n -> n > 0));
    }

    @Provide
    Arbitrary<String> chosenIds() {
        return Arbitraries.oneOf(
                Arbitraries.of("sshd", "web", "alice", "alice.web", "alicex.web", "bob.db", "nobody.x", "root.x", "daemon.",
                        "daemon.cron", "svc.web", "alice-web"),
                Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(12));
    }

    /** Every name or number that resolves to another uid is refused, whatever the group. */
    @Property(tries = 2000, edgeCases = EdgeCasesMode.NONE)
    void anotherUsersSpecIsRefused(@ForAll("requests") Tuple2<Caller, JobSpec> request) {
        Caller caller = request.get1();
        JobSpec spec = request.get2();
        if (spec.user() == null) return;
        OptionalInt uid = directory.uid(spec.user());
        if (uid.isPresent() && uid.getAsInt() == caller.uid()) return;
        JobException refused = assertThrows(JobException.class, () -> policy.admitStart(caller, null, spec));
        assertEquals(Reason.FORBIDDEN, refused.reason());
    }

    /** An admin's spec passes as it is: root may run anything as anyone. */
    @Property(tries = 500)
    void anAdminsSpecIsAdmittedUnchanged(@ForAll("specs") JobSpec spec) throws JobException {
        assertSame(spec, policy.admitStart(Caller.ROOT, "sshd", spec));
        assertSame(spec, policy.admitStart(new Caller(1000, true), null, spec));
    }

    /**
     * init opens a spec's stdio files, the console and passed fds itself, as root, before the spawn. A non-admin
     * may therefore have only what it could open itself: /dev/null, its log, and TCP or UDP ports from 1024.
     */
    @Property(tries = 3000, edgeCases = EdgeCasesMode.NONE)
    void anAdmittedSpecOpensNothingAsRoot(@ForAll("requests") Tuple2<Caller, JobSpec> request) {
        Caller caller = request.get1();
        JobSpec spec = request.get2();
        JobSpec admitted;
        try {
            admitted = policy.admitStart(caller, null, spec);
            Statistics.collect(spec.fds().isEmpty() ? "no fds" : "fds");
        } catch (JobException e) {
            return;
        }
        for (Stdio.Target target : List.of(admitted.stdio().stdin(), admitted.stdio().stdout(), admitted.stdio().stderr())) {
            assertTrue(target instanceof Stdio.Target.Null || target instanceof Stdio.Target.Log
                            || target instanceof Stdio.Target.SameAsStdout,
                    () -> "uid " + caller.uid() + " was admitted with stdio " + admitted.stdio());
        }
        for (FdSpec fd : admitted.fds()) {
            Matcher inet = INET.matcher(fd instanceof FdSpec.Listen(String uri, String name) ? uri : "");
            assertTrue(inet.matches() && Integer.parseInt(inet.group(1)) >= 1024,
                    () -> "uid " + caller.uid() + " was admitted with fd " + fd);
        }
        Statistics.coverage(coverage -> coverage.check("fds").count(n -> n > 0));
    }

    /** tcp:// or udp://, an address, and a port in ASCII digits after the last colon. */
    private static final Pattern INET = Pattern.compile("(?:tcp|udp)://.*:([0-9]{1,5})");

    /** Another's job shows its env names but no value; one's own job, and every job to an admin, in full. */
    @Property(tries = 1000)
    void envValuesOfOthersJobsAreRedacted(@ForAll("nonAdmins") Caller caller, @ForAll("specs") JobSpec spec,
                                           @ForAll("owners") int owner) {
        Job job = new Job("j", spec, new JobState.Running(42), Instant.EPOCH, 0, null, owner);
        assertSame(job, policy.view(Caller.ROOT, job));
        Job seen = policy.view(caller, job);
        if (owner == caller.uid() || spec.envs() == null) {
            assertSame(job, seen);
            return;
        }
        assertEquals(spec.envs().keySet(), seen.spec().envs().keySet());
        Map<String, String> redacted = new LinkedHashMap<>();
        spec.envs().keySet().forEach(name -> redacted.put(name, AccessPolicy.REDACTED));
        assertEquals(redacted, seen.spec().envs());
        assertEquals(new JobSpec(spec.exec(), spec.args(), spec.cwd(), redacted, spec.user(), spec.group(), spec.restart(),
                spec.stdio(), spec.logBytes(), spec.fds(), spec.stopTimeout()), seen.spec());
        assertEquals(List.of(job.id(), job.state(), job.owner()), List.of(seen.id(), seen.state(), seen.owner()));
    }

    @Provide
    Arbitrary<Integer> owners() {
        return Arbitraries.of(0, 1, 1000, 1001, 65534);
    }

    /** /system/* is for admins only. */
    @Property(tries = 200)
    void systemActionsAreForAdminsOnly(@ForAll("nonAdmins") Caller caller) throws JobException {
        JobException refused = assertThrows(JobException.class, () -> policy.admitSystem(caller));
        assertEquals(Reason.FORBIDDEN, refused.reason());
        policy.admitSystem(Caller.ROOT);
        policy.admitSystem(new Caller(caller.uid(), true));
    }
}
