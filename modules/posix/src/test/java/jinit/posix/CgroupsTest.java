package jinit.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import jinit.api.Limits;
import jinit.api.Usage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The paths, limit files and counters of {@link Cgroups}, against a plain directory that stands in for cgroupfs
 * (the kernel's own behaviour is the self-test's and CgroupTest's). A plain directory keeps what is written, so
 * what each file holds after a call is exactly what the kernel would have been told.
 */
class CgroupsTest {
    @TempDir
    Path jobs;

    private Cgroups all() {
        return new Cgroups(jobs, Set.of("memory", "pids", "cpu"), null);
    }

    @Test
    void aJobsCgroupIsItsIdWithASuffixThatNoInterfaceFileHas() {
        assertEquals(jobs.resolve("web.job"), all().path("web"));
        assertEquals(jobs.resolve("memory.max.job"), all().path("memory.max"));
        for (String bad : new String[] {"..", ".", "a/b", "", ".hidden", "-x"}) {
            assertThrows(IllegalArgumentException.class, () -> all().path(bad), bad);
        }
    }

    @Test
    void limitsGoToTheirFilesAndAbsentOnesBackToTheKernelsDefaults() throws IOException {
        Cgroups cgroups = all();
        cgroups.prepare("db", new Limits(64L << 20, 32L, 500));
        Path db = jobs.resolve("db.job");
        assertEquals("67108864", Files.readString(db.resolve("memory.max")));
        assertEquals("32", Files.readString(db.resolve("pids.max")));
        assertEquals("500", Files.readString(db.resolve("cpu.weight")));
        // A replacement without limits reuses the directory and must not keep the old ones.
        cgroups.prepare("db", Limits.NONE);
        assertEquals("max", Files.readString(db.resolve("memory.max")));
        assertEquals("max", Files.readString(db.resolve("pids.max")));
        assertEquals("100", Files.readString(db.resolve("cpu.weight")));
    }

    @Test
    void onlyTheEnabledControllersFilesAreWritten() throws IOException {
        Cgroups pidsOnly = new Cgroups(jobs, Set.of("pids"), null);
        pidsOnly.prepare("p", new Limits(null, 5L, null));
        assertTrue(Files.exists(jobs.resolve("p.job/pids.max")));
        assertFalse(Files.exists(jobs.resolve("p.job/memory.max")));
        assertFalse(Files.exists(jobs.resolve("p.job/cpu.weight")));
        assertNull(pidsOnly.unsupported(new Limits(null, 5L, null)));
        assertEquals("the cgroup controllers memory, cpu the limits need are not available",
                pidsOnly.unsupported(new Limits(1L << 20, 5L, 10)));
        assertEquals("the cgroup controller memory the limits need is not available",
                pidsOnly.unsupported(new Limits(1L << 20, null, null)));
    }

    @Test
    void prepareReturnsTheOomKillCountSoALaterRiseMeansThisRun() throws IOException {
        Cgroups cgroups = all();
        Files.createDirectories(jobs.resolve("hog.job"));
        Files.writeString(jobs.resolve("hog.job/memory.events"), "low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\noom_group_kill 0\n");
        assertEquals(2, cgroups.prepare("hog", new Limits(1L << 20, null, null)));
        Files.writeString(jobs.resolve("hog.job/memory.events"), "low 0\nhigh 0\nmax 12\noom 3\noom_kill 3\noom_group_kill 0\n");
        assertEquals(3, cgroups.oomKills("hog"));
        assertEquals(0, new Cgroups(jobs, Set.of("pids"), null).oomKills("hog"), "no memory controller, no count");
    }

    @Test
    void usageReadsTheCountersAndMinusOneForWhatIsMissing() throws IOException {
        Path busy = Files.createDirectories(jobs.resolve("busy.job"));
        Files.writeString(busy.resolve("memory.current"), "1052672\n");
        Files.writeString(busy.resolve("cpu.stat"), "usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n");
        assertEquals(new Usage(1052672, -1, 123), all().usage("busy"));
    }

    @Test
    void anEmptyCgroupIsRemovedAndOneWithAProcessIsKept() throws IOException {
        Cgroups cgroups = all();
        Files.createDirectories(jobs.resolve("done.job"));
        cgroups.removeIfEmpty("done");
        assertFalse(Files.exists(jobs.resolve("done.job")));
        Files.createDirectories(jobs.resolve("daemon.job"));
        Files.writeString(jobs.resolve("daemon.job/cgroup.procs"), "4242\n");
        cgroups.removeIfEmpty("daemon");
        assertTrue(Files.exists(jobs.resolve("daemon.job/cgroup.procs")));
        cgroups.removeIfEmpty("never"); // nothing there: nothing to do
    }

    @Test
    void killWritesCgroupKillAndSaysWhetherThereWasACgroup() throws IOException {
        Cgroups cgroups = all();
        assertFalse(cgroups.kill("never"), "no cgroup: the caller signals the process group instead");
        cgroups.prepare("k", Limits.NONE);
        assertTrue(cgroups.kill("k"));
        assertEquals("1", Files.readString(jobs.resolve("k.job/cgroup.kill")));
    }
}
