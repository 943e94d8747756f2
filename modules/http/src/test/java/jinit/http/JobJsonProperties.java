package jinit.http;

import jinit.api.AccountRef;
import jinit.api.FdSpec;
import jinit.api.JobSpec;
import jinit.api.Readiness;
import jinit.api.Restart;
import jinit.api.SpecException;
import jinit.api.Stdio;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The normalized spec a job shows is itself a valid spec that reads back unchanged. */
class JobJsonProperties {

    @Provide
    Arbitrary<JobSpec> specs() {
        Arbitrary<String> text = Arbitraries.strings().ofMinLength(1).ofMaxLength(12)
                .excludeChars('\0').withCharRange(' ', '~').withChars('é', '☃');
        Arbitrary<String> names = Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(8);
        Arbitrary<AccountRef> accounts = Arbitraries.oneOf(
                names.map(AccountRef.Name::new), Arbitraries.integers().between(0, 70_000).map(AccountRef.Id::new));
        Arbitrary<Restart> restarts = Combinators.combine(
                Arbitraries.of(Restart.Policy.values()), Arbitraries.longs().between(0, 5_000),
                Arbitraries.longs().between(0, 10_000), Arbitraries.of(1.0, 1.5, 2.0, 3.0),
                Arbitraries.longs().between(0, 60_000), Arbitraries.integers().between(1, 50),
                Arbitraries.longs().between(1, 600_000))
                .as((policy, delay, extra, factor, reset, burst, window) -> new Restart(policy, delay, delay + extra, factor, reset, burst, window));
        Arbitrary<Stdio.Target> outputs = Arbitraries.of(new Stdio.Target.Null(), new Stdio.Target.Log(),
                new Stdio.Target.Console(), new Stdio.Target.Inherit(), new Stdio.Target.File("/var/log/x", true));
        Arbitrary<Stdio> stdio = Combinators.combine(
                Arbitraries.of(new Stdio.Target.Null(), new Stdio.Target.Inherit(), new Stdio.Target.File("/etc/in", false)),
                outputs, Arbitraries.oneOf(outputs, Arbitraries.just(new Stdio.Target.SameAsStdout())))
                .as(Stdio::new);
        Arbitrary<FdSpec> fds = Arbitraries.oneOf(
                Arbitraries.integers().between(1, 65535).map(port -> new FdSpec.Listen("tcp://127.0.0.1:" + port, "web")),
                Arbitraries.of("r", "w", "a", "rw").map(mode -> new FdSpec.File("/data/f", mode, "data")));
        return Combinators.combine(
                text, text.list().ofMaxSize(5), Arbitraries.of("/", "/tmp", "/srv/app"),
                Arbitraries.maps(names, text).ofMaxSize(4).injectNull(0.3),
                accounts.injectNull(0.5), accounts.injectNull(0.5), restarts, stdio)
                .flatAs((exec, args, cwd, envs, user, group, restart, io) -> Combinators.combine(
                        Arbitraries.integers().between(0, JobSpec.MAX_LOG_BYTES), fds.list().ofMaxSize(3),
                        Arbitraries.longs().between(0, 86_400_000))
                        .as((logBytes, fdList, stop) -> new JobSpec(exec, args, cwd, envs, user, group, restart, io, logBytes, fdList, stop)))
                .flatMap(spec -> readiness(spec.fds().size()).map(spec::withReadiness));
    }

    /** A valid readiness for a spec with {@code passedFds} fds: a ready fd above them, a watchdog only with notify. */
    private static Arbitrary<Readiness> readiness(int passedFds) {
        Arbitrary<Readiness.Protocol> protocols = Arbitraries.oneOf(
                Arbitraries.just(new Readiness.Protocol.Running()), Arbitraries.just(new Readiness.Protocol.Notify()),
                Arbitraries.integers().between(3 + passedFds, JobJson.MAX_READY_FD).map(Readiness.Protocol.Fd::new));
        Arbitrary<Long> millis = Arbitraries.longs().between(0, 86_400_000);
        return Combinators.combine(protocols, millis, millis).as((protocol, timeout, watchdog) -> new Readiness(protocol,
                protocol instanceof Readiness.Protocol.Running ? 0 : timeout,
                protocol instanceof Readiness.Protocol.Notify ? watchdog : 0));
    }

    @Property(tries = 500)
    void aWrittenSpecReadsBackTheSame(@ForAll("specs") JobSpec spec) throws SpecException {
        byte[] json = JobJson.write(out -> JobJson.writeSpec(out, spec));
        JobSpec read = JobJson.readSpec(json);
        assertEquals(spec, read, new String(json, StandardCharsets.UTF_8));
    }

    @Property(tries = 300)
    void anyBytesEitherParseOrFailWithAMessage(@ForAll byte[] body) {
        try {
            JobJson.readSpec(body);
        } catch (SpecException e) {
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
        }
    }

    @Test
    void errorsNameTheField() {
        assertMessage("{\"exec\":1}", "field 'exec' must be a string");
        assertMessage("{\"exec\":\"x\",\"args\":[1]}", "field 'args[0]' must be a string");
        assertMessage("{\"exec\":\"x\",\"bogus\":1}", "unknown field 'bogus'");
        assertMessage("{\"exec\":\"x\",\"restart\":{\"policy\":\"sometimes\"}}", "field 'restart.policy'");
        assertMessage("{\"exec\":\"x\",\"restart\":{\"delay\":500,\"maxDelay\":100}}", "'restart.maxDelay'");
        assertMessage("{\"exec\":\"x\",\"stdio\":{\"stdin\":\"log\"}}", "'stdio.stdin' cannot be \"log\"");
        assertMessage("{\"exec\":\"x\",\"fds\":[{\"listen\":\"http://x\"}]}", "'fds[0].listen'");
        assertMessage("{\"exec\":\"x\",\"fds\":[{\"file\":\"/f\",\"name\":\"a:b\"}]}", "'fds[0].name'");
        assertMessage("{\"exec\":\"x\",\"fds\":[{\"file\":\"/f\",\"name\":\"a\\tb\"}]}", "'fds[0].name'");
        assertMessage("{\"exec\":\"a\\u0000b\"}", "must not contain NUL");
        assertMessage("{\"exec\":\"x\",\"envs\":{\"A=B\":\"c\"}}", "no '='");
        assertMessage("{\"exec\":\"x\",\"user\":-1}", "must not be negative");
        assertMessage("{\"exec\":\"x\",\"user\":99999999999}", "out of range");
        assertMessage("{\"exec\":\"x\"} trailing", "malformed JSON");
        assertMessage("{\"exec\":\"x\",\"exec\":\"y\"}", "malformed JSON");
        assertMessage("[" .repeat(100), "malformed JSON");
        assertMessage("[]", "must be a JSON object");
    }

    /** systemd's rule for fd names allows a space (its fdname_is_valid); the spawner takes what the API takes. */
    @Test
    void anFdNameMayHoldASpace() throws SpecException {
        JobSpec spec = JobJson.readSpec("{\"exec\":\"x\",\"fds\":[{\"file\":\"/f\",\"name\":\"my data\"}]}"
                .getBytes(StandardCharsets.UTF_8));
        assertEquals("my data", spec.fds().getFirst().name());
    }

    /**
     * An unpaired surrogate has no UTF-8 form, so no C string can carry it (issue 9): wherever it hides, in a value or a
     * name, high or low, the spec is refused with the field named. A proper pair (one character beyond the BMP) is fine.
     */
    @Test
    void anUnpairedSurrogateAnywhereIsRefusedNamingTheField() throws SpecException {
        Map<String, String> refused = new java.util.LinkedHashMap<>();
        refused.put("{\"exec\":\"\\ud800\"}", "field 'exec'");
        refused.put("{\"exec\":\"/bin/x\\udc00\"}", "field 'exec'");
        refused.put("{\"exec\":\"x\",\"args\":[\"a\",\"\\ud800\\ud800\"]}", "field 'args[1]'");
        refused.put("{\"exec\":\"x\",\"args\":[\"\\udc00\\ud800\"]}", "field 'args[0]'");
        refused.put("{\"exec\":\"x\",\"cwd\":\"/\\ud800\"}", "field 'cwd'");
        refused.put("{\"exec\":\"x\",\"envs\":{\"A\":\"\\ud800\"}}", "field 'envs.A'");
        refused.put("{\"exec\":\"x\",\"env\":{\"A\":\"\\ud800\"}}", "field 'env.A'");
        refused.put("{\"exec\":\"x\",\"user\":\"\\ud800\"}", "field 'user'");
        refused.put("{\"exec\":\"x\",\"group\":\"\\ud800\"}", "field 'group'");
        refused.put("{\"exec\":\"x\",\"restart\":{\"policy\":\"\\ud800\"}}", "field 'restart.policy'");
        refused.put("{\"exec\":\"x\",\"stdio\":{\"stdout\":{\"file\":\"/tmp/\\ud800\"}}}", "field 'stdio.stdout.file'");
        refused.put("{\"exec\":\"x\",\"stdio\":{\"stdin\":{\"file\":\"/tmp/\\udfff\"}}}", "field 'stdio.stdin.file'");
        refused.put("{\"exec\":\"x\",\"fds\":[{\"file\":\"/tmp/\\ud800\"}]}", "field 'fds[0].file'");
        refused.put("{\"exec\":\"x\",\"fds\":[{\"listen\":\"unix:/tmp/\\ud800\"}]}", "field 'fds[0].listen'");
        refused.put("{\"exec\":\"x\",\"fds\":[{\"listen\":\"tcp://\\ud800:80\"}]}", "field 'fds[0].listen'");
        refused.put("{\"exec\":\"x\",\"fds\":[{\"file\":\"/f\",\"name\":\"\\ud800\"}]}", "field 'fds[0].name'");
        for (Map.Entry<String, String> body : refused.entrySet()) {
            assertMessage(body.getKey(), body.getValue() + " must be valid Unicode: it holds an unpaired surrogate");
        }
        JobSpec paired = JobJson.readSpec("{\"exec\":\"x\",\"args\":[\"\\ud83d\\ude00\"]}".getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("\ud83d\ude00"), paired.args());
    }

    @Test
    void aliasesAndShorthandsNormalize() throws SpecException {
        JobSpec spec = JobJson.readSpec("{\"exec\":\"x\",\"env\":{\"A\":\"1\"},\"restart\":\"always\",\"user\":\"1000\"}"
                .getBytes(StandardCharsets.UTF_8));
        assertEquals(Map.of("A", "1"), spec.envs());
        assertEquals(Restart.withPolicy(Restart.Policy.ALWAYS), spec.restart());
        assertEquals(new AccountRef.Id(1000), spec.user());
        assertEquals(List.of(), spec.args());
        assertEquals("/", spec.cwd());
        assertEquals(Stdio.DEFAULT, spec.stdio());
    }

    /** Values as jackson-jr reads them back: maps, lists, strings, ints, longs beyond int, booleans and nulls. */
    @Provide
    Arbitrary<Object> values() {
        Arbitrary<Object> leaves = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(8).excludeChars('\0').withCharRange(' ', '~').withChars('é', '\n', '"', '\\'),
                Arbitraries.integers(), Arbitraries.longs().greaterOrEqual(1L << 40), Arbitraries.of(true, false),
                Arbitraries.just(null));
        return Arbitraries.recursive(() -> leaves, inner -> Arbitraries.oneOf(
                inner.list().ofMaxSize(4).map(list -> (Object) list),
                Arbitraries.maps(Arbitraries.strings().alpha().ofMaxLength(6), inner).ofMaxSize(4)
                        .map(map -> (Object) new java.util.LinkedHashMap<>(map))), 0, 3);
    }

    @Property(tries = 500)
    void anyValueWrittenReadsBackTheSame(@ForAll("values") Object value) throws SpecException {
        byte[] json = JobJson.value(value);
        assertEquals(value, JobJson.read(json), new String(json, StandardCharsets.UTF_8));
    }

    @Test
    void anyTopLevelValueReadsStrictly() throws SpecException {
        assertEquals(List.of(Map.of("a", 1), List.of(), "x"), JobJson.read("[{\"a\":1},[],\"x\"]".getBytes(StandardCharsets.UTF_8)));
        assertEquals("text", JobJson.read("\"text\"".getBytes(StandardCharsets.UTF_8)));
        assertEquals(null, JobJson.read("null".getBytes(StandardCharsets.UTF_8)));
        Map<String, Object> ordered = new java.util.LinkedHashMap<>();
        ordered.put("b", java.util.Arrays.asList(1, null));
        ordered.put("a", null);
        assertEquals("{\"b\":[1,null],\"a\":null}", new String(JobJson.value(ordered), StandardCharsets.UTF_8),
                "a null is written, and keys keep their order");
        for (String bad : List.of("[1] [2]", "[1,]", "{\"a\":1,\"a\":2}", "", "[" .repeat(100))) {
            SpecException e = assertThrows(SpecException.class, () -> JobJson.read(bad.getBytes(StandardCharsets.UTF_8)), bad);
            assertTrue(e.getMessage().startsWith("malformed JSON"), bad + ": " + e.getMessage());
        }
    }

    private static void assertMessage(String body, String expected) {
        SpecException e = assertThrows(SpecException.class, () -> JobJson.readSpec(body.getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains(expected), e.getMessage() + " should contain " + expected);
    }
}
