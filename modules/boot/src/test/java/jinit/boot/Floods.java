package jinit.boot;

import static jinit.boot.AccessMatrixTest.NOBODY;
import static jinit.boot.AccessMatrixTest.NOGROUP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Jobs that write their logs as expensively as a job can, started by nobody through the real curl. */
final class Floods {
    static final Path PERL = Path.of("/usr/bin/perl");
    /** One byte per write(2), alternating streams: before issue 10, each such write cost a chunk of 256 bytes and more. */
    static final String ALTERNATE = "while (1) { syswrite(STDOUT, 'o') or exit 1; syswrite(STDERR, 'e') or exit 1 }";
    /** The same with newlines: every byte a line of its own, which a stamped read turns into 26 bytes. */
    static final String NEWLINES = "while (1) { syswrite(STDOUT, qq(\\n)) or exit 1; syswrite(STDERR, qq(\\n)) or exit 1 }";
    /** The most a spec may ask for. */
    static final int LOG_BYTES = 16 << 20;

    private Floods() {}

    /**
     * PUTs a perl {@code script} as a job of uid nobody, with the largest log, under the id {@code nobody.NAME} (a user
     * may choose only ids in its own name); returns the id.
     */
    static String startAsNobody(Daemon daemon, String name, String script) throws Exception {
        assertTrue(Files.isExecutable(PERL), "these tests need perl");
        String id = "nobody." + name;
        String spec = "{\"exec\":\"" + PERL + "\",\"args\":[\"-e\"," + Json.write(script) + "],\"logBytes\":" + LOG_BYTES + "}";
        AccessMatrixTest.Answer answer = AccessMatrixTest.curl(daemon, NOBODY, NOGROUP, "PUT", "/job/" + id,
                Map.of("Content-Type", "application/json"), spec);
        assertEquals(201, answer.status(), answer::toString);
        assertEquals(NOBODY, answer.json().get("owner"));
        return id;
    }
}
