package jinit.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import jinit.api.ExitStatus;
import jinit.api.JobSpec;
import jinit.api.Limits;
import jinit.api.SpecException;
import jinit.api.Usage;
import org.junit.jupiter.api.Test;

/** The spec's {@code limits}, the exit's {@code oom} and the job's {@code usage} on the wire (issue 14). */
class LimitsJsonTest {
    private static JobSpec spec(String limits) throws SpecException {
        return JobJson.readSpec(("{\"exec\":\"/bin/true\",\"limits\":" + limits + "}").getBytes(StandardCharsets.UTF_8));
    }

    private static String refusal(String limits) {
        return assertThrows(SpecException.class, () -> spec(limits)).getMessage();
    }

    @Test
    void limitsAreReadAndWrittenBackWithOnlyWhatIsSet() throws Exception {
        JobSpec spec = spec("{\"memory\":67108864,\"cpuWeight\":50}");
        assertEquals(new Limits(67108864L, null, 50), spec.limits());
        String written = new String(JobJson.write(out -> JobJson.writeSpec(out, spec)), StandardCharsets.UTF_8);
        assertTrue(written.endsWith(",\"limits\":{\"memory\":67108864,\"cpuWeight\":50}}"), written);
    }

    @Test
    void aSpecWithoutLimitsShowsNone() throws Exception {
        JobSpec spec = JobJson.readSpec("{\"exec\":\"/bin/true\"}".getBytes(StandardCharsets.UTF_8));
        assertTrue(spec.limits().none());
        assertFalse(new String(JobJson.write(out -> JobJson.writeSpec(out, spec)), StandardCharsets.UTF_8).contains("limits"));
    }

    @Test
    void badLimitsNameTheField() {
        assertEquals("field 'limits' must be an object", refusal("64"));
        assertEquals("unknown field 'limits.cpu'", refusal("{\"cpu\":1}"));
        assertEquals("field 'limits.cpuWeight' is out of range (1 to 10000)", refusal("{\"cpuWeight\":0}"));
        assertEquals("field 'limits.cpuWeight' is out of range (1 to 10000)", refusal("{\"cpuWeight\":10001}"));
        assertEquals("field 'limits.pids' is out of range (1 to " + Long.MAX_VALUE / 2 + ")", refusal("{\"pids\":0}"));
        assertTrue(refusal("{\"memory\":4095}").startsWith("field 'limits.memory' is out of range (4096 to "));
        assertEquals("field 'limits.memory' must be a whole number", refusal("{\"memory\":\"64M\"}"));
    }

    @Test
    void anOomKillIsMarkedInTheExit() {
        String exit = new String(JobJson.write(out -> JobJson.writeExit(out, new ExitStatus.Signaled(9, false, true))),
                StandardCharsets.UTF_8);
        assertEquals("{\"signal\":\"KILL\",\"oom\":true}", exit);
        assertEquals("SIGKILL (out of memory)", new ExitStatus.Signaled(9, false, true).describe());
    }

    @Test
    void usageGoesLastIntoTheJobsObject() {
        byte[] job = "{\"id\":\"web\",\"owner\":0}".getBytes(StandardCharsets.UTF_8);
        assertEquals("{\"id\":\"web\",\"owner\":0,\"usage\":{\"memory\":1048576,\"pids\":3,\"cpuMs\":42}}",
                new String(JobJson.withUsage(job, new Usage(1048576, 3, 42)), StandardCharsets.UTF_8));
    }
}
