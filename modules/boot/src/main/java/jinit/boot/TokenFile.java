package jinit.boot;

import jinit.posix.Posix;
import jinit.posix.PosixException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;

/**
 * The per-boot admin token: 256 random bits, written for root alone to read. Any request carrying it as
 * {@code Authorization: Bearer …} is admin, whatever its uid: the way to reach the API from a container,
 * a remote tunnel or a process whose uid cannot be seen.
 */
final class TokenFile {
    static final String DEFAULT_PATH = "/run/jinit/token";

    private TokenFile() {}

    /**
     * Writes a fresh token to {@code path} and returns it. Its bits come from getrandom(2) with flags 0, which waits,
     * once a boot, until the kernel's random generator is initialised. A CPU generator (x86 RDRAND, arm64 RNDR; the
     * kernel trusts it by default since 5.19, {@code random.trust_cpu}) or a bootloader's seed initialises it before
     * init runs, and then nothing waits: the x86_64 QEMU boot ({@code -cpu max}) logs "crng init done" at 0.000000.
     * Without either, init waits here and serves the API only after; since 5.4 a waiting caller makes the kernel
     * gather entropy from timer jitter, so that is seconds, where older kernels could wait minutes. Measured on x86_64 under
     * TCG with {@code -cpu qemu64,-rdrand,-rdseed}: "crng init done" at 12.87 s, the token written at 12.88 s, 4.8 s
     * after loopback came up instead of 1.6 s. A token from an uninitialised generator (GRND_INSECURE) could be guessed.
     */
    static String create(Posix posix, Path path) throws PosixException, IOException {
        String token = HexFormat.of().formatHex(posix.getrandom(32));
        Path directory = path.toAbsolutePath().getParent();
        Files.createDirectories(directory);
        Path temporary = directory.resolve("." + path.getFileName() + ".new");
        Files.deleteIfExists(temporary);
        Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(temporary, token + "\n", StandardCharsets.US_ASCII);
        // Rename, so a reader never sees a half-written token or the previous boot's.
        Files.move(temporary, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return token;
    }
}
