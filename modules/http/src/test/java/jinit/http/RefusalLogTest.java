package jinit.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RefusalLogTest {

    /** A rule's message quotes what the client sent (a Host header): on the console it is cut short and shows no control character. */
    @Test
    void whatTheClientSentReachesTheConsoleCutAndWithoutControlCharacters() {
        List<String> console = new ArrayList<>();
        RefusalLog log = new RefusalLog(console::add);
        String host = "\u001b]0;owned\u0007\u001b[2J" + "h".repeat(20_000);
        log.refused(403, null, "GET", "/jobs\u001b[1m", "rule 'local Host only': Host '" + host + "' is not this machine's loopback API");
        assertEquals(1, console.size());
        String line = console.getFirst();
        assertTrue(line.chars().noneMatch(Character::isISOControl), line);
        assertTrue(line.length() < 600, () -> line.length() + " characters");
        assertTrue(line.startsWith("refused 403: uid unknown GET /jobs?[1m: rule 'local Host only': Host '?]0;owned??[2Jhhh"), line);
    }
}
