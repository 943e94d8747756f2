package jinit.posix;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds a root job's program the way execvp would, but in the job's own PATH: posix_spawnp would search
 * init's. A job that runs as another user is searched by jinit-exec instead, with that user's ids, so that
 * nobody learns through jinit what lies in directories it may not search.
 */
final class ProgramSearch {
    private ProgramSearch() {}

    /**
     * The absolute path of {@code exec}. A name with a slash is not searched; a relative one is relative to
     * {@code cwd}, as a shell would run it there. An empty or relative PATH entry is relative to {@code cwd} too.
     */
    static String resolve(String exec, String cwd, String searchPath) throws SpawnException {
        Path directory = Path.of("/").resolve(cwd == null ? "/" : cwd);
        if (exec.startsWith("/")) return exec;
        if (exec.indexOf('/') >= 0) return directory.resolve(exec).normalize().toString();
        for (String entry : searchPath.split(":", -1)) {
            Path candidate = directory.resolve(entry.isEmpty() ? "." : entry).resolve(exec);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) return candidate.toString();
        }
        throw notFound(exec, searchPath, Errno.ENOENT, null);
    }

    /** "not found in PATH /usr/bin:/bin (ENOENT)", or with the reason when it is another errno. */
    static SpawnException notFound(String exec, String searchPath, int errno, String why) {
        String reason = errno == Errno.ENOENT ? "" : ": " + why;
        return new SpawnException(errno, "not found in PATH " + searchPath + reason + " (" + Errno.name(errno) + ")");
    }
}
