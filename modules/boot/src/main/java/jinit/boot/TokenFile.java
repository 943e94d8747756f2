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
     * getrandom(2) without GRND_RANDOM never blocks once the kernel's pool is initialised, which happens
     * before init runs on any kernel we boot (5.18+ seeds it at start-up), so early boot does not stall.
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
