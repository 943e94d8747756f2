package jinit.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The mount points that the shutdown remounts read-only, as /proc/self/mounts escapes them. */
class MountPathTest {
    @Test
    void octalEscapesBecomeTheirCharacters() {
        assertEquals("/mnt/my disk", Shutdown.unescapeMountPath("/mnt/my\\040disk"));
        assertEquals("/a\tb\\c", Shutdown.unescapeMountPath("/a\\011b\\134c"));
    }

    @Test
    void aBackslashWithoutThreeOctalDigitsStaysAsItIs() {
        assertEquals("/x\\9y", Shutdown.unescapeMountPath("/x\\9y"));
        assertEquals("/end\\04", Shutdown.unescapeMountPath("/end\\04"));
        assertEquals("/", Shutdown.unescapeMountPath("/"));
    }
}
