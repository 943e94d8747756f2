package jinit.api;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The fd-name check accepts exactly systemd's LISTEN_FDNAMES alphabet, space included, at 1 to 255 characters. */
class FdSpecProperties {
    private static final Pattern DOCUMENTED = Pattern.compile("[ -9;-~]{1,255}");

    @Provide
    Arbitrary<String> candidates() {
        Arbitrary<String> shortOnes = Arbitraries.strings().withCharRange(' ', '~').withChars('\t', '\n', '\u007f', 'é', '\0')
                .ofMinLength(0).ofMaxLength(12);
        Arbitrary<String> aroundTheLimit = Arbitraries.strings().withCharRange('a', 'c').withChars(' ', ':')
                .ofMinLength(250).ofMaxLength(260);
        return Arbitraries.oneOf(shortOnes, aroundTheLimit);
    }

    @Property(tries = 5_000)
    void sameAsThePattern(@ForAll("candidates") String name) {
        assertEquals(DOCUMENTED.matcher(name).matches(), FdSpec.isValidName(name), () -> "'" + name + "'");
    }
}
