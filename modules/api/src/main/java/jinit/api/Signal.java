package jinit.api;

import java.util.Locale;
import java.util.OptionalInt;

/**
 * Linux signal numbers and names. x86_64 and aarch64 share the generic numbering, which is all jinit targets.
 * Real-time signals use glibc's numbering: SIGRTMIN is 34, because glibc reserves 32 and 33 for itself.
 */
public final class Signal {
    public static final int HUP = 1, INT = 2, QUIT = 3, ABRT = 6, KILL = 9, USR1 = 10, USR2 = 12, TERM = 15, CHLD = 17, CONT = 18, STOP = 19, PWR = 30;
    public static final int RTMIN = 34, RTMAX = 64;

    private static final String[] NAMES = {
        null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
        "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
        "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"
    };

    private Signal() {}

    /**
     * Parses a signal as an API client writes it: a name in any case, with or without "SIG"
     * ({@code TERM}, {@code SIGTERM}, {@code sigterm}, {@code RTMIN+2}) or a number from 1 to 64.
     * Signal 0 is refused: it sends nothing, so a client asking for it has made a mistake.
     */
    public static OptionalInt parse(String text) {
        if (text == null || text.isEmpty() || text.length() > 16) return OptionalInt.empty();
        if (text.chars().allMatch(Character::isDigit)) {
            if (text.length() > 3) return OptionalInt.empty(); // 1 to 64; also keeps parseInt from overflowing
            int number = Integer.parseInt(text);
            return number >= 1 && number <= RTMAX ? OptionalInt.of(number) : OptionalInt.empty();
        }
        String name = text.toUpperCase(Locale.ROOT);
        if (name.startsWith("SIG")) name = name.substring(3);
        for (int number = 1; number < NAMES.length; number++) {
            if (NAMES[number].equals(name)) return OptionalInt.of(number);
        }
        return switch (name) {
            case "IOT" -> OptionalInt.of(6);
            case "CLD" -> OptionalInt.of(CHLD);
            case "POLL" -> OptionalInt.of(29);
            default -> parseRealtime(name);
        };
    }

    private static OptionalInt parseRealtime(String name) {
        int base;
        String rest;
        if (name.startsWith("RTMIN")) { base = RTMIN; rest = name.substring(5); }
        else if (name.startsWith("RTMAX")) { base = RTMAX; rest = name.substring(5); }
        else return OptionalInt.empty();
        if (rest.isEmpty()) return OptionalInt.of(base);
        if (rest.length() < 2 || (rest.charAt(0) != '+' && rest.charAt(0) != '-')
                || rest.length() > 3 || !rest.substring(1).chars().allMatch(Character::isDigit)) return OptionalInt.empty();
        int offset = Integer.parseInt(rest.substring(1)) * (rest.charAt(0) == '+' ? 1 : -1);
        int number = base + offset;
        return number >= RTMIN && number <= RTMAX ? OptionalInt.of(number) : OptionalInt.empty();
    }

    /** The name without "SIG", as exit statuses report it: {@code TERM}, {@code RTMIN+1}, or the number for anything else. */
    public static String name(int number) {
        if (number >= 1 && number < NAMES.length) return NAMES[number];
        if (number >= RTMIN && number <= RTMAX) return number == RTMIN ? "RTMIN" : "RTMIN+" + (number - RTMIN);
        return Integer.toString(number);
    }
}
