package jinit.api;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The hand-written check accepts exactly what the documented pattern does. */
class JobIdProperties {
    private static final Pattern DOCUMENTED = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    @Provide
    Arbitrary<String> candidates() {
        // Mostly near-valid ids, so that both answers come up often: the id alphabet plus a few intruders.
        return Arbitraries.strings().withChars("aZ09._-").withChars('/', ' ', '%', 'é', '\0', '+', ':')
                .ofMinLength(0).ofMaxLength(70);
    }

    @Property(tries = 5_000)
    void sameAsThePattern(@ForAll("candidates") String id) {
        assertEquals(DOCUMENTED.matcher(id).matches(), JobId.isValid(id), () -> "'" + id + "'");
    }
}
