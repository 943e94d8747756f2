package jinit.api;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ExitStatusTest {
    @Test
    void describeSaysTheCodeOrTheSignalAndACoreDump() {
        assertEquals("exit code 3", new ExitStatus.Code(3).describe());
        assertEquals("SIGTERM", new ExitStatus.Signaled(Signal.TERM, false).describe());
        assertEquals("SIGSEGV (core dumped)", new ExitStatus.Signaled(11, true).describe());
        assertEquals("SIGRTMIN+2", new ExitStatus.Signaled(Signal.RTMIN + 2, false).describe());
    }

    @Test
    void aShellSaysTheCodeOr128PlusTheSignal() {
        assertEquals(3, new ExitStatus.Code(3).shellStatus());
        assertEquals(128 + 9, new ExitStatus.Signaled(Signal.KILL, false).shellStatus());
    }
}
