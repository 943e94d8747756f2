import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Image sizes, read from what the builds left: jlink/target (runtime images) and rootfs/target/ARCH
 * (initramfs, rootfs, kernel). Nothing is built here; a missing artifact is "not built".
 */
final class Images {
    private Images() {}

    static final List<String> ARCHES = List.of("host", "x86_64", "aarch64");

    /** artifact -> arch -> bytes (absent: not built). */
    static void measure(Path repo, Results results) {
        Map<String, Map<String, Long>> sizes = new LinkedHashMap<>();
        for (String arch : ARCHES) {
            Path runtime = arch.equals("host") ? repo.resolve("jlink/target/jinit") : repo.resolve("jlink/target/" + arch + "/jinit");
            put(sizes, "runtime image (jlink)", arch, runtime);
            if (arch.equals("host")) continue;
            Path out = repo.resolve("rootfs/target/" + arch);
            put(sizes, "initramfs", arch, first(out, "initramfs"));
            put(sizes, "rootfs.ext4", arch, out.resolve("rootfs.ext4"));
            put(sizes, "rootfs.tar", arch, out.resolve("rootfs.tar"));
            put(sizes, "disk.img", arch, out.resolve("disk.img"));
            put(sizes, "kernel", arch, first(out, "kernel", "vmlinuz", "bzImage", "Image"));
            put(sizes, "AOT cache", arch, first(out.resolve("aot"), "jinit.aot", ""));
        }
        results.notes.put("images.bytes", sizes);
        // Inside QEMU: qemu/test leaves its console log next to the image; its selftest's summary line has the
        // figures (from that run, not this one).
        Map<String, String> qemu = new LinkedHashMap<>();
        for (String arch : ARCHES.subList(1, ARCHES.size())) {
            Path log = repo.resolve("rootfs/target/" + arch + "/qemu-test.log");
            try {
                if (!Files.exists(log)) continue;
                String summary = Files.readAllLines(log).stream().filter(l -> l.startsWith("selftest: summary")).findFirst().orElse(null);
                if (summary == null) continue;
                String when = java.time.Instant.ofEpochMilli(Files.getLastModifiedTime(log).toMillis()).toString();
                String fields = summary.substring("selftest: summary ".length());
                // exec_ms: kernel uptime when init was exec'd; ready_ms: when the selftest (the boot job, polling
                // every 50 ms) got its first answer. Their difference is the guest's exec -> first answer.
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("exec_ms=(\\d+) ready_ms=(\\d+)").matcher(fields);
                String derived = m.find() ? "exec -> first answer " + (Long.parseLong(m.group(2)) - Long.parseLong(m.group(1))) + " ms; " : "";
                qemu.put(arch, derived + fields + " (qemu/test of " + when + ")");
            } catch (IOException e) {
                qemu.put(arch, "unreadable: " + e.getMessage());
            }
        }
        results.notes.put("qemu.selftest", qemu);
    }

    private static void put(Map<String, Map<String, Long>> sizes, String artifact, String arch, Path path) {
        Map<String, Long> row = sizes.computeIfAbsent(artifact, a -> new LinkedHashMap<>());
        if (path != null && Files.exists(path)) row.put(arch, bytes(path));
    }

    /** The first regular file in dir whose name starts with one of the prefixes, in that order. */
    private static Path first(Path dir, String... prefixes) {
        if (!Files.isDirectory(dir)) return null;
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> all = files.filter(Files::isRegularFile).sorted().toList();
            for (String prefix : prefixes) {
                for (Path f : all) if (f.getFileName().toString().startsWith(prefix)) return f;
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Apparent size of a file, or of all regular files under a directory (links not followed). */
    private static long bytes(Path path) {
        try (Stream<Path> files = Files.walk(path)) {
            return files.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            return -1;
        }
    }

    @SuppressWarnings("unchecked")
    static String render(Results results) {
        Map<String, Map<String, Long>> sizes = (Map<String, Map<String, Long>>) results.notes.get("images.bytes");
        StringBuilder out = new StringBuilder("-- image sizes, MB (10^6 bytes; \"not built\": build it with jlink/link or rootfs/build)\n");
        out.append(String.format(Locale.ROOT, "%-24s%12s%12s%12s%n", "artifact", "host", "x86_64", "aarch64"));
        for (Map.Entry<String, Map<String, Long>> artifact : sizes.entrySet()) {
            out.append(String.format(Locale.ROOT, "%-24s", artifact.getKey()));
            for (String arch : ARCHES) {
                Long b = artifact.getValue().get(arch);
                boolean applies = arch.equals("host") == artifact.getKey().startsWith("runtime") || artifact.getKey().startsWith("runtime");
                String cell = b != null ? String.format(Locale.ROOT, "%.1f", b / 1e6) : applies ? "not built" : "";
                out.append(String.format(Locale.ROOT, "%12s", cell));
            }
            out.append('\n');
        }
        Map<String, String> qemu = (Map<String, String>) results.notes.get("qemu.selftest");
        out.append("-- inside QEMU (TCG), the selftest's summary line from rootfs/target/ARCH/qemu-test.log:\n");
        for (String arch : ARCHES.subList(1, ARCHES.size())) {
            out.append(String.format(Locale.ROOT, "%-10s%s%n", arch, qemu.getOrDefault(arch, "no qemu/test log")));
        }
        return out.toString();
    }
}
