package jinit.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Map;

/** Checks of the contract's job object and error body. */
final class JobAssertions {
    private JobAssertions() {}

    /** An error answer: this status, Content-Type application/json, and exactly {"error":message}. */
    static void assertError(int status, String message, Http.Response response) {
        assertEquals(status, response.status(), () -> "status of " + response);
        assertEquals("application/json", response.header("Content-Type"), "Content-Type of " + response);
        assertEquals(Json.write(Map.of("error", message)), response.text());
    }

    /** An error answer whose message is not fixed text (an errno, a parser's words): it must contain {@code part}. */
    static String assertErrorContaining(int status, String part, Http.Response response) {
        assertEquals(status, response.status(), () -> "status of " + response);
        assertEquals("application/json", response.header("Content-Type"), "Content-Type of " + response);
        Map<String, Object> body = response.json();
        assertEquals(java.util.Set.of("error"), body.keySet(), response::text);
        String message = assertInstanceOf(String.class, body.get("error"));
        assertTrue(message.contains(part), () -> "'" + message + "' should contain '" + part + "'");
        return message;
    }

    /** A 204: no body, nothing else. */
    static void assertNoContent(Http.Response response) {
        assertEquals(204, response.status(), () -> "status of " + response);
        assertEquals(0, response.body().length, response::text);
    }

    /**
     * A running job as the contract describes it: a pid, no exit yet, and {@code spec}, the
     * normalized spec, field for field (fields added to the spec later are not checked).
     */
    static void assertRunning(String id, String spec, Map<String, Object> job) {
        assertEquals(id, job.get("id"), () -> "id of " + job);
        assertEquals("running", job.get("state"), () -> "state of " + job);
        int pid = assertInstanceOf(Integer.class, job.get("pid"), () -> "pid of " + job);
        assertTrue(pid > 0, () -> "pid of " + job);
        assertSpec(spec, job);
        Instant.parse((String) job.get("startedAt"));
        assertTrue(job.containsKey("exitedAt"), "exitedAt is present");
        assertNull(job.get("exitedAt"), () -> "exitedAt of " + job);
        assertTrue(job.containsKey("exit"), "exit is present");
        assertNull(job.get("exit"), () -> "exit of " + job);
        assertEquals(0, job.get("restarts"), () -> "restarts of " + job);
    }

    /** An ended job: no pid, an exitedAt no earlier than startedAt, and this exit, e.g. {"code":0}. */
    static void assertExited(String id, String spec, String exit, Map<String, Object> job) {
        assertEquals(id, job.get("id"), () -> "id of " + job);
        assertEquals("exited", job.get("state"), () -> "state of " + job);
        assertTrue(job.containsKey("pid"), "pid is present");
        assertNull(job.get("pid"), () -> "pid of " + job);
        assertSpec(spec, job);
        Instant started = Instant.parse((String) job.get("startedAt"));
        Instant exited = Instant.parse((String) job.get("exitedAt"));
        assertFalse(exited.isBefore(started), () -> "exitedAt before startedAt in " + job);
        assertEquals(Json.object(exit), job.get("exit"), () -> "exit of " + job);
        assertEquals(0, job.get("restarts"), () -> "restarts of " + job);
    }

    static void assertSpec(String spec, Map<String, Object> job) {
        @SuppressWarnings("unchecked")
        Map<String, Object> actual = assertInstanceOf(Map.class, job.get("spec"), () -> "spec of " + job);
        Json.object(spec).forEach((field, value) -> {
            assertTrue(actual.containsKey(field), () -> "spec." + field + " is missing in " + job);
            assertEquals(value, actual.get(field), () -> "spec." + field + " of " + job);
        });
    }
}
