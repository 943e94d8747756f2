package jinit.api;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The fast writer is Instant.toString, character for character. */
class TimestampsProperties {

    @Property(tries = 20_000)
    void sameAsInstantToString(@ForAll @LongRange(min = -70_000_000_000L, max = 260_000_000_000L) long seconds,
                               @ForAll @IntRange(min = 0, max = 999_999_999) int nanos) {
        Instant instant = Instant.ofEpochSecond(seconds, nanos);
        assertEquals(instant.toString(), Timestamps.iso(instant));
    }

    @Property(tries = 2_000)
    void sameForEveryFractionLength(@ForAll @LongRange(min = 0, max = 4_102_444_800L) long seconds,
                                    @ForAll @IntRange(min = 0, max = 999) int digits) {
        for (int nanos : new int[] {0, digits * 1_000_000, digits * 1_000, digits}) {
            Instant instant = Instant.ofEpochSecond(seconds, nanos);
            assertEquals(instant.toString(), Timestamps.iso(instant));
        }
    }

    @Test
    void edges() {
        for (Instant instant : new Instant[] {Instant.EPOCH, Instant.MIN, Instant.MAX, Instant.parse("0000-01-01T00:00:00Z"),
                Instant.parse("9999-12-31T23:59:59.999999999Z"), Instant.parse("2000-02-29T12:00:00.5Z"),
                Instant.parse("1969-12-31T23:59:59.000001Z"), Instant.parse("2026-11-25T11:39:08.588959179Z")}) {
            assertEquals(instant.toString(), Timestamps.iso(instant));
        }
    }
}
