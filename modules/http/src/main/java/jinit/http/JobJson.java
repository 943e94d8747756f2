package jinit.http;

import jinit.api.AccountRef;
import jinit.api.ExitStatus;
import jinit.api.FdSpec;
import jinit.api.Job;
import jinit.api.JobSpec;
import jinit.api.JobState;
import jinit.api.Readiness;
import jinit.api.Limits;
import jinit.api.Restart;
import jinit.api.Signal;
import jinit.api.SpecException;
import jinit.api.Stdio;
import jinit.api.Timestamps;
import jinit.api.Usage;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.jr.ob.JSON;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The JSON form of specs and jobs. Reading is jackson-jr's, made strict (duplicate keys, trailing garbage and deep
 * nesting are errors; unknown fields and wrong types are errors that name the field). Jobs, with their specs and exits,
 * are written by hand on jackson-core's generator (why: {@link #writeJob}), and so are events (EventJson) and error
 * bodies; any other value is written by jackson-jr ({@link #value}).
 */
public final class JobJson {
    /** Deep nesting is never legitimate in a spec; refuse it early instead of recursing. */
    private static final int MAX_NESTING = 32;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
            .build();
    /** jackson-jr on the same factory: objects read in their order, a duplicate key refused, a null written. */
    private static final JSON JSON_JR = JSON.builder(FACTORY).build()
            .with(JSON.Feature.FAIL_ON_DUPLICATE_MAP_KEYS, JSON.Feature.PRESERVE_FIELD_ORDERING, JSON.Feature.WRITE_NULL_PROPERTIES);

    private static final Set<String> SPEC_FIELDS = Set.of("exec", "args", "cwd", "envs", "env", "user", "group",
            "restart", "stdio", "logBytes", "fds", "stopTimeout", "ready", "readyTimeout", "watchdog", "limits");
    private static final Set<String> LIMITS_FIELDS = Set.of("memory", "pids", "cpuWeight");
    /** memory.max and pids.max take up to 2^63 - 1; a smaller ceiling keeps arithmetic on them safe. */
    private static final long MAX_LIMIT = Long.MAX_VALUE / 2;
    private static final Set<String> RESTART_FIELDS = Set.of("policy", "delay", "maxDelay", "factor", "resetAfter", "burst", "window");
    private static final Set<String> STDIO_FIELDS = Set.of("stdin", "stdout", "stderr");
    /** A day: longer than any sane delay, short enough that arithmetic on it never overflows. */
    private static final long MAX_MILLIS = 86_400_000L;
    /** The highest ready fd: s6 takes any, but the descriptors below it are opened for the job (on /dev/null). */
    static final int MAX_READY_FD = 255;

    private JobJson() {}

    // ---- reading ----

    /**
     * Parses one JSON value, an object, array, string, number, boolean or null (as maps, lists, strings, numbers,
     * booleans and null), with nothing after it; or explains why the bytes are not one.
     */
    public static Object read(byte[] body) throws SpecException {
        try (JsonParser parser = FACTORY.createParser(body)) {
            Object value = JSON_JR.anyFrom(parser);
            if (parser.nextToken() != null) throw new SpecException("malformed JSON: trailing content after the value");
            return value;
        } catch (JsonProcessingException e) {
            throw new SpecException("malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new SpecException("malformed JSON: " + e.getMessage());
        }
    }

    /** Parses a request body into a JSON object, or explains why it is not one. */
    public static Map<String, Object> readObject(byte[] body) throws SpecException {
        Object value = read(body);
        if (!(value instanceof Map<?, ?> map)) throw new SpecException("the body must be a JSON object");
        @SuppressWarnings("unchecked") Map<String, Object> object = (Map<String, Object>) map;
        return object;
    }

    public static JobSpec readSpec(byte[] body) throws SpecException {
        return toSpec(readObject(body));
    }

    /** Validates and normalizes a parsed spec object. */
    public static JobSpec toSpec(Map<String, Object> object) throws SpecException {
        for (String field : object.keySet()) {
            if (!SPEC_FIELDS.contains(field)) throw new SpecException("unknown field '" + field + "'");
        }
        for (Map.Entry<String, Object> field : object.entrySet()) representableInC(field.getValue(), field.getKey());
        if (object.containsKey("envs") && object.containsKey("env")) {
            throw new SpecException("give either 'envs' or its alias 'env', not both");
        }
        String exec = requiredString(object, "exec");
        if (exec.isEmpty()) throw new SpecException("field 'exec' must not be empty");
        List<String> args = stringList(object, "args");
        String cwd = optionalString(object, "cwd");
        if (cwd == null) cwd = JobSpec.DEFAULT_CWD;
        if (cwd.isEmpty()) throw new SpecException("field 'cwd' must not be empty");
        String envField = object.containsKey("env") ? "env" : "envs";
        Map<String, String> envs = environment(object, envField);
        AccountRef user = account(object, "user");
        AccountRef group = account(object, "group");
        Restart restart = restart(object.get("restart"));
        Stdio stdio = stdio(object.get("stdio"));
        int logBytes = (int) number(object, "logBytes", 0, JobSpec.MAX_LOG_BYTES, JobSpec.DEFAULT_LOG_BYTES);
        List<FdSpec> fds = fds(object.get("fds"));
        long stopTimeout = number(object, "stopTimeout", 0, MAX_MILLIS, JobSpec.DEFAULT_STOP_TIMEOUT);
        Readiness readiness = readiness(object, fds.size());
        Limits limits = limits(object.get("limits"));
        return new JobSpec(exec, args, cwd, envs, user, group, restart, stdio, logBytes, fds, stopTimeout, readiness,
                limits);
    }

    /**
     * {@code ready}, {@code readyTimeout} and {@code watchdog}. A ready fd must lie above the {@code fds} entries (they
     * take 3, 4, … in order), and a watchdog needs the notify protocol, since WATCHDOG=1 is how a job pets it: both
     * are conflicts between well-formed fields (422).
     */
    private static Readiness readiness(Map<String, Object> object, int passedFds) throws SpecException {
        Readiness.Protocol protocol = switch (object.get("ready")) {
            case null -> new Readiness.Protocol.Running();
            case String name when name.equals("notify") -> new Readiness.Protocol.Notify();
            case Map<?, ?> fd -> {
                onlyKnownFields(fd, Set.of("fd"), "ready");
                if (!fd.containsKey("fd")) throw new SpecException("field 'ready.fd' is required");
                yield new Readiness.Protocol.Fd((int) number(fd.get("fd"), "ready.fd", 3, MAX_READY_FD, 0));
            }
            default -> throw new SpecException("field 'ready' must be \"notify\" or {\"fd\": N} with N of 3 or more");
        };
        long timeout = number(object, "readyTimeout", 0, MAX_MILLIS, 0);
        long watchdog = number(object, "watchdog", 0, MAX_MILLIS, 0);
        if (protocol instanceof Readiness.Protocol.Fd(int fd) && fd < 3 + passedFds) {
            throw new SpecException("field 'ready.fd': fd " + fd + " is taken by 'fds' (they are fds 3 to "
                    + (2 + passedFds) + "); use " + (3 + passedFds) + " or more", true);
        }
        if (timeout > 0 && protocol instanceof Readiness.Protocol.Running) {
            throw new SpecException("field 'readyTimeout' needs 'ready' (\"notify\" or {\"fd\": N}): without it a job is ready once it runs", true);
        }
        if (watchdog > 0 && !(protocol instanceof Readiness.Protocol.Notify)) {
            throw new SpecException("field 'watchdog' needs \"ready\": \"notify\": the job keeps it quiet by sending WATCHDOG=1 on NOTIFY_SOCKET", true);
        }
        return new Readiness(protocol, timeout, watchdog);
    }

    private static void onlyKnownFields(Map<?, ?> object, Set<String> known, String where) throws SpecException {
        for (Object field : object.keySet()) {
            if (!known.contains(field)) throw new SpecException("unknown field '" + where + "." + field + "'");
        }
    }

    /** A whole number in [min, max], or the default when absent. */
    private static long number(Map<?, ?> object, String field, long min, long max, long absent) throws SpecException {
        return number(object.get(field), field, min, max, absent);
    }

    private static long number(Object value, String field, long min, long max, long absent) throws SpecException {
        long number = switch (value) {
            case null -> absent;
            case Integer n -> n;
            case Long n -> n;
            case BigInteger n -> throw new SpecException("field '" + field + "' is out of range (" + min + " to " + max + ")");
            default -> throw new SpecException("field '" + field + "' must be a whole number");
        };
        if (number < min || number > max) throw new SpecException("field '" + field + "' is out of range (" + min + " to " + max + ")");
        return number;
    }

    /**
     * {@code {"memory": bytes, "pids": n, "cpuWeight": 1-10000}}, each optional. A memory limit under a page and a
     * pids limit of 0 are refused: neither lets the job start at all.
     */
    private static Limits limits(Object value) throws SpecException {
        if (value == null) return Limits.NONE;
        if (!(value instanceof Map<?, ?> object)) throw new SpecException("field 'limits' must be an object");
        onlyKnownFields(object, LIMITS_FIELDS, "limits");
        Long memory = object.get("memory") == null ? null : number(object.get("memory"), "limits.memory", 4096, MAX_LIMIT, 0);
        Long pids = object.get("pids") == null ? null : number(object.get("pids"), "limits.pids", 1, MAX_LIMIT, 0);
        Integer cpuWeight = object.get("cpuWeight") == null ? null
                : (int) number(object.get("cpuWeight"), "limits.cpuWeight", Limits.MIN_CPU_WEIGHT, Limits.MAX_CPU_WEIGHT, 0);
        return new Limits(memory, pids, cpuWeight);
    }

    private static Restart restart(Object value) throws SpecException {
        if (value == null) return Restart.NEVER;
        if (value instanceof String name) return Restart.withPolicy(policy(name));
        if (!(value instanceof Map<?, ?> object)) throw new SpecException("field 'restart' must be an object or a policy name");
        onlyKnownFields(object, RESTART_FIELDS, "restart");
        Object policyValue = object.get("policy");
        if (policyValue != null && !(policyValue instanceof String)) throw new SpecException("field 'restart.policy' must be a string");
        Restart.Policy policy = policyValue == null ? Restart.Policy.ON_FAILURE : policy((String) policyValue);
        long delay = number(object.get("delay"), "restart.delay", 0, MAX_MILLIS, Restart.DEFAULT_DELAY);
        long maxDelay = number(object.get("maxDelay"), "restart.maxDelay", 0, MAX_MILLIS, Math.max(delay, Restart.DEFAULT_MAX_DELAY));
        if (maxDelay < delay) throw new SpecException("field 'restart.maxDelay' must not be less than 'restart.delay'");
        double factor = switch (object.get("factor")) {
            case null -> Restart.DEFAULT_FACTOR;
            case Number n when n.doubleValue() >= 1.0 && n.doubleValue() <= 100.0 -> n.doubleValue();
            case Number n -> throw new SpecException("field 'restart.factor' is out of range (1 to 100)");
            default -> throw new SpecException("field 'restart.factor' must be a number");
        };
        long resetAfter = number(object.get("resetAfter"), "restart.resetAfter", 0, MAX_MILLIS, Restart.DEFAULT_RESET_AFTER);
        int burst = (int) number(object.get("burst"), "restart.burst", 1, 1_000_000, Restart.DEFAULT_BURST);
        long window = number(object.get("window"), "restart.window", 1, MAX_MILLIS, Restart.DEFAULT_WINDOW);
        return new Restart(policy, delay, maxDelay, factor, resetAfter, burst, window);
    }

    private static Restart.Policy policy(String name) throws SpecException {
        Restart.Policy policy = Restart.Policy.parse(name);
        if (policy == null) throw new SpecException("field 'restart.policy' must be \"no\", \"on-failure\" or \"always\"");
        return policy;
    }

    private static Stdio stdio(Object value) throws SpecException {
        if (value == null) return Stdio.DEFAULT;
        if (!(value instanceof Map<?, ?> object)) throw new SpecException("field 'stdio' must be an object");
        onlyKnownFields(object, STDIO_FIELDS, "stdio");
        return new Stdio(
                target(object.get("stdin"), "stdio.stdin", Stdio.DEFAULT.stdin()),
                target(object.get("stdout"), "stdio.stdout", Stdio.DEFAULT.stdout()),
                target(object.get("stderr"), "stdio.stderr", Stdio.DEFAULT.stderr()));
    }

    private static Stdio.Target target(Object value, String field, Stdio.Target absent) throws SpecException {
        boolean input = field.equals("stdio.stdin");
        Stdio.Target target = switch (value) {
            case null -> absent;
            case String name when name.equals("null") -> new Stdio.Target.Null();
            case String name when name.equals("log") -> new Stdio.Target.Log();
            case String name when name.equals("console") -> new Stdio.Target.Console();
            case String name when name.equals("inherit") -> new Stdio.Target.Inherit();
            case String name when name.equals("stdout") -> new Stdio.Target.SameAsStdout();
            case Map<?, ?> object -> {
                onlyKnownFields(object, Set.of("file", "append"), field);
                if (!(object.get("file") instanceof String path) || path.isEmpty()) {
                    throw new SpecException("field '" + field + ".file' must be a non-empty path");
                }
                Object append = object.get("append");
                if (append != null && !(append instanceof Boolean)) throw new SpecException("field '" + field + ".append' must be true or false");
                yield new Stdio.Target.File(path, Boolean.TRUE.equals(append));
            }
            default -> throw new SpecException("field '" + field
                    + "' must be \"null\", \"log\", \"console\", \"inherit\", {\"file\": path, \"append\": bool}"
                    + (field.equals("stdio.stderr") ? " or \"stdout\"" : ""));
        };
        if (input && target instanceof Stdio.Target.Log) throw new SpecException("field 'stdio.stdin' cannot be \"log\"");
        if (!field.equals("stdio.stderr") && target instanceof Stdio.Target.SameAsStdout) {
            throw new SpecException("field '" + field + "' cannot be \"stdout\"; only stderr can");
        }
        return target;
    }

    private static List<FdSpec> fds(Object value) throws SpecException {
        if (value == null) return List.of();
        if (!(value instanceof List<?> list)) throw new SpecException("field 'fds' must be an array");
        if (list.size() > 64) throw new SpecException("field 'fds' allows at most 64 descriptors");
        List<FdSpec> fds = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            String where = "fds[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> object)) throw new SpecException("field '" + where + "' must be an object");
            String name = fdName(object.get("name"), where);
            if (object.containsKey("listen")) {
                onlyKnownFields(object, Set.of("listen", "name"), where);
                if (!(object.get("listen") instanceof String uri)
                        || !(uri.startsWith("tcp://") || uri.startsWith("udp://") || uri.startsWith("unix:"))) {
                    throw new SpecException("field '" + where + ".listen' must be \"tcp://HOST:PORT\", \"udp://HOST:PORT\" or \"unix:/path\"");
                }
                fds.add(new FdSpec.Listen(uri, name));
            } else if (object.containsKey("file")) {
                onlyKnownFields(object, Set.of("file", "mode", "name"), where);
                if (!(object.get("file") instanceof String path) || path.isEmpty()) {
                    throw new SpecException("field '" + where + ".file' must be a non-empty path");
                }
                Object mode = object.get("mode");
                if (mode == null) mode = "r";
                if (!(mode instanceof String text) || !Set.of("r", "w", "a", "rw").contains(text)) {
                    throw new SpecException("field '" + where + ".mode' must be \"r\", \"w\", \"a\" or \"rw\"");
                }
                fds.add(new FdSpec.File(path, text, name));
            } else {
                throw new SpecException("field '" + where + "' needs \"listen\" or \"file\"");
            }
        }
        return fds;
    }

    /** A name as {@link FdSpec#isValidName} allows; without one, systemd's default "unknown". */
    private static String fdName(Object value, String where) throws SpecException {
        if (value == null) return "unknown";
        if (!(value instanceof String name) || !FdSpec.isValidName(name)) {
            throw new SpecException("field '" + where + ".name' must be " + FdSpec.NAME_RULE);
        }
        return name;
    }

    private static String requiredString(Map<String, Object> object, String field) throws SpecException {
        if (!object.containsKey(field) || object.get(field) == null) throw new SpecException("field '" + field + "' is required");
        return optionalString(object, field);
    }

    private static String optionalString(Map<String, Object> object, String field) throws SpecException {
        Object value = object.get(field);
        if (value == null) return null;
        if (!(value instanceof String text)) throw new SpecException("field '" + field + "' must be a string");
        return text;
    }

    /**
     * Every string of a spec ends up as a C string: execve's argv and envp, chdir, open, bind, getpwnam. Two kinds
     * of Java string have no faithful C form. A NUL would silently cut the string the kernel sees. An unpaired UTF-16
     * surrogate (JSON's "\ud800") has no UTF-8 form at all: an encoder writes '?' in its place, so init would open or
     * run another path than the one named, and java.nio.file refuses it with an exception (a 500, issue 9). Checked
     * here, once for every string and name in the spec, so that no field, present or future, can let one through.
     */
    private static void representableInC(Object value, String field) throws SpecException {
        switch (value) {
            case String text -> representableInC(text, "field '" + field + "'");
            case Map<?, ?> object -> {
                for (Map.Entry<?, ?> entry : object.entrySet()) {
                    String name = (String) entry.getKey();
                    representableInC(name, "a name in field '" + field + "'");
                    representableInC(entry.getValue(), field + "." + name);
                }
            }
            case List<?> list -> {
                for (int i = 0; i < list.size(); i++) representableInC(list.get(i), field + "[" + i + "]");
            }
            case null, default -> { }
        }
    }

    /** @param what the string's place, for the message: "field 'args[0]'" */
    private static void representableInC(String text, String what) throws SpecException {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\0') throw new SpecException(what + " must not contain NUL characters");
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++; // a pair: one character beyond the BMP, which UTF-8 encodes
            } else if (Character.isSurrogate(c)) {
                throw new SpecException(what + " must be valid Unicode: it holds an unpaired surrogate (\\u"
                        + Integer.toHexString(c).toUpperCase(Locale.ROOT) + " at index " + i + ")");
            }
        }
    }

    private static List<String> stringList(Map<String, Object> object, String field) throws SpecException {
        Object value = object.get(field);
        if (value == null) return List.of();
        if (!(value instanceof List<?> list)) throw new SpecException("field '" + field + "' must be an array of strings");
        List<String> strings = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String text)) {
                throw new SpecException("field '" + field + "[" + i + "]' must be a string");
            }
            strings.add(text);
        }
        return strings;
    }

    private static Map<String, String> environment(Map<String, Object> object, String field) throws SpecException {
        Object value = object.get(field);
        if (value == null) return null;
        if (!(value instanceof Map<?, ?> map)) throw new SpecException("field '" + field + "' must be an object of strings");
        Map<String, String> envs = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String key = (String) entry.getKey();
            String where = field + "." + key;
            if (key.isEmpty() || key.indexOf('=') >= 0) throw new SpecException("field '" + where + "': a variable name must be non-empty and contain no '='");
            if (!(entry.getValue() instanceof String text)) throw new SpecException("field '" + where + "' must be a string");
            envs.put(key, text);
        }
        return envs;
    }

    private static AccountRef account(Map<String, Object> object, String field) throws SpecException {
        Object value = object.get(field);
        return switch (value) {
            case null -> null;
            case String name when name.isEmpty() -> throw new SpecException("field '" + field + "' must not be empty");
            case String name when name.chars().allMatch(Character::isDigit) && name.length() <= 10 -> {
                long id = Long.parseLong(name);
                if (id > Integer.MAX_VALUE) throw new SpecException("field '" + field + "' is out of range");
                yield new AccountRef.Id((int) id);
            }
            case String name -> new AccountRef.Name(name);
            case Integer id when id >= 0 -> new AccountRef.Id(id);
            case Integer id -> throw new SpecException("field '" + field + "' must not be negative");
            case Long id -> throw new SpecException("field '" + field + "' is out of range");
            case BigInteger id -> throw new SpecException("field '" + field + "' is out of range");
            default -> throw new SpecException("field '" + field + "' must be a name or a numeric id");
        };
    }

    // ---- writing ----

    public static byte[] job(Job job) {
        return write(generator -> writeJob(generator, job));
    }

    /**
     * A job's JSON ({@link #job}'s bytes, cached or not) with {@code "usage": {"memory", "pids", "cpuMs"}} added as
     * its last field: usage changes at every read, so it is spliced in rather than cached with the snapshot.
     */
    public static byte[] withUsage(byte[] jobJson, Usage usage) {
        byte[] tail = write(generator -> {
            generator.writeStartObject();
            number(generator, Names.memory, usage.memory());
            number(generator, Names.pids, usage.pids());
            number(generator, Names.cpuMs, usage.cpuMs());
            generator.writeEndObject();
        });
        byte[] field = ",\"usage\":".getBytes(StandardCharsets.US_ASCII);
        int keep = jobJson.length - 1; // the job's closing brace
        byte[] out = new byte[keep + field.length + tail.length + 1];
        System.arraycopy(jobJson, 0, out, 0, keep);
        System.arraycopy(field, 0, out, keep, field.length);
        System.arraycopy(tail, 0, out, keep + field.length, tail.length);
        out[out.length - 1] = '}';
        return out;
    }

    public static byte[] error(String message) {
        return write(generator -> {
            generator.writeStartObject();
            generator.writeStringField("error", message);
            generator.writeEndObject();
        });
    }

    /** Writes any value built of maps (in their order), lists, strings, numbers, booleans and nulls. */
    public static byte[] value(Object value) {
        try {
            return JSON_JR.asBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // writing to memory cannot fail
        }
    }

    @FunctionalInterface
    public interface Body {
        void writeTo(JsonGenerator generator) throws IOException;
    }

    public static byte[] write(Body body) {
        var bytes = new ByteArrayOutputStream(256);
        try (JsonGenerator generator = FACTORY.createGenerator(bytes, JsonEncoding.UTF8)) {
            body.writeTo(generator);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // writing to memory cannot fail
        }
        return bytes.toByteArray();
    }

    /** Field names, quoted and encoded once instead of on every write. */
    private static final class Names {
        static final SerializableString append = new SerializedString("append");
        static final SerializableString args = new SerializedString("args");
        static final SerializableString burst = new SerializedString("burst");
        static final SerializableString code = new SerializedString("code");
        static final SerializableString coreDumped = new SerializedString("coreDumped");
        static final SerializableString cpuMs = new SerializedString("cpuMs");
        static final SerializableString cpuWeight = new SerializedString("cpuWeight");
        static final SerializableString cwd = new SerializedString("cwd");
        static final SerializableString delay = new SerializedString("delay");
        static final SerializableString envs = new SerializedString("envs");
        static final SerializableString error = new SerializedString("error");
        static final SerializableString exec = new SerializedString("exec");
        static final SerializableString exit = new SerializedString("exit");
        static final SerializableString exitedAt = new SerializedString("exitedAt");
        static final SerializableString factor = new SerializedString("factor");
        static final SerializableString fd = new SerializedString("fd");
        static final SerializableString fds = new SerializedString("fds");
        static final SerializableString file = new SerializedString("file");
        static final SerializableString gaveUp = new SerializedString("gaveUp");
        static final SerializableString group = new SerializedString("group");
        static final SerializableString id = new SerializedString("id");
        static final SerializableString limits = new SerializedString("limits");
        static final SerializableString listen = new SerializedString("listen");
        static final SerializableString logBytes = new SerializedString("logBytes");
        static final SerializableString maxDelay = new SerializedString("maxDelay");
        static final SerializableString memory = new SerializedString("memory");
        static final SerializableString mode = new SerializedString("mode");
        static final SerializableString name = new SerializedString("name");
        static final SerializableString nextStartAt = new SerializedString("nextStartAt");
        static final SerializableString oom = new SerializedString("oom");
        static final SerializableString owner = new SerializedString("owner");
        static final SerializableString pid = new SerializedString("pid");
        static final SerializableString pids = new SerializedString("pids");
        static final SerializableString policy = new SerializedString("policy");
        static final SerializableString ready = new SerializedString("ready");
        static final SerializableString readyAt = new SerializedString("readyAt");
        static final SerializableString readyTimeout = new SerializedString("readyTimeout");
        static final SerializableString resetAfter = new SerializedString("resetAfter");
        static final SerializableString restart = new SerializedString("restart");
        static final SerializableString restarts = new SerializedString("restarts");
        static final SerializableString signal = new SerializedString("signal");
        static final SerializableString spec = new SerializedString("spec");
        static final SerializableString startedAt = new SerializedString("startedAt");
        static final SerializableString state = new SerializedString("state");
        static final SerializableString stderr = new SerializedString("stderr");
        static final SerializableString stdin = new SerializedString("stdin");
        static final SerializableString stdio = new SerializedString("stdio");
        static final SerializableString status = new SerializedString("status");
        static final SerializableString stdout = new SerializedString("stdout");
        static final SerializableString stopTimeout = new SerializedString("stopTimeout");
        static final SerializableString user = new SerializedString("user");
        static final SerializableString watchdog = new SerializedString("watchdog");
        static final SerializableString window = new SerializedString("window");
    }

    /**
     * A job as the API shows it. Written by hand, not by jackson-jr: the wire form is not the records' shape (the
     * state's label, a pid only while running, an exit as {"code"} or {"signal"}, accounts as a name or a number), so
     * jackson-jr would need the job rebuilt as maps and lists first, and that costs twice the time. Measured with
     * {@code JobJsonRate} (the same 1,000 jobs both ways, byte-identical output, C1 only as in the image, three runs on
     * the 2-core development host at load 5): 1.6-3.7 ms a list here against 3.5-8.0 ms (2.1x) for jobs without envs,
     * 3.3-5.4 ms against 6.4-10.4 ms (1.9-2.1x) for redacted views with five envs. The cost still counts: the cache
     * (JobJsonCache) writes each snapshot once, but a redacted view (another user's job with envs) is written afresh
     * for every GET /jobs of a user who is not admin.
     */
    public static void writeJob(JsonGenerator out, Job job) throws IOException {
        out.writeStartObject();
        string(out, Names.id, job.id());
        string(out, Names.state, job.state().label());
        out.writeFieldName(Names.pid);
        switch (job.state()) {
            case JobState.Running(int pid) -> out.writeNumber(pid);
            case JobState.Backoff b -> out.writeNull();
            case JobState.Exited e -> out.writeNull();
        }
        out.writeFieldName(Names.spec);
        writeSpec(out, job.spec());
        string(out, Names.startedAt, Timestamps.iso(job.startedAt()));
        switch (job.state()) {
            case JobState.Running r -> {
                nothing(out, Names.exitedAt);
                nothing(out, Names.exit);
            }
            case JobState.Backoff(ExitStatus exit, var exitedAt, var next) -> {
                string(out, Names.exitedAt, Timestamps.iso(exitedAt));
                out.writeFieldName(Names.exit);
                writeExit(out, exit, job.watchdogExit());
                string(out, Names.nextStartAt, Timestamps.iso(next));
            }
            case JobState.Exited(ExitStatus exit, var exitedAt, boolean gaveUp) -> {
                string(out, Names.exitedAt, Timestamps.iso(exitedAt));
                out.writeFieldName(Names.exit);
                writeExit(out, exit, job.watchdogExit());
                if (gaveUp) bool(out, Names.gaveUp, true);
            }
        }
        number(out, Names.restarts, job.restarts());
        bool(out, Names.ready, job.ready());
        if (job.readyAt() == null) nothing(out, Names.readyAt);
        else string(out, Names.readyAt, Timestamps.iso(job.readyAt()));
        if (job.status() != null) string(out, Names.status, job.status());
        if (job.error() != null) string(out, Names.error, job.error());
        number(out, Names.owner, job.owner());
        out.writeEndObject();
    }

    public static void writeExit(JsonGenerator out, ExitStatus exit) throws IOException {
        writeExit(out, exit, false);
    }

    /** @param watchdog the process was ended by its watchdog: said next to the signal */
    public static void writeExit(JsonGenerator out, ExitStatus exit, boolean watchdog) throws IOException {
        if (exit == null) {
            out.writeNull();
            return;
        }
        out.writeStartObject();
        switch (exit) {
            case ExitStatus.Code(int code) -> number(out, Names.code, code);
            case ExitStatus.Signaled(int signal, boolean coreDumped, boolean oom) -> {
                string(out, Names.signal, Signal.name(signal));
                if (coreDumped) bool(out, Names.coreDumped, true);
                if (oom) bool(out, Names.oom, true);
            }
        }
        if (watchdog) bool(out, Names.watchdog, true);
        out.writeEndObject();
    }

    public static void writeSpec(JsonGenerator out, JobSpec spec) throws IOException {
        out.writeStartObject();
        string(out, Names.exec, spec.exec());
        out.writeFieldName(Names.args);
        out.writeStartArray();
        for (String arg : spec.args()) out.writeString(arg);
        out.writeEndArray();
        string(out, Names.cwd, spec.cwd());
        out.writeFieldName(Names.envs);
        if (spec.envs() == null) {
            out.writeNull();
        } else {
            out.writeStartObject();
            for (var entry : spec.envs().entrySet()) out.writeStringField(entry.getKey(), entry.getValue());
            out.writeEndObject();
        }
        writeAccount(out, Names.user, spec.user());
        writeAccount(out, Names.group, spec.group());
        Restart restart = spec.restart();
        out.writeFieldName(Names.restart);
        out.writeStartObject();
        string(out, Names.policy, restart.policy().wire());
        number(out, Names.delay, restart.delay());
        number(out, Names.maxDelay, restart.maxDelay());
        out.writeFieldName(Names.factor);
        out.writeNumber(restart.factor());
        number(out, Names.resetAfter, restart.resetAfter());
        number(out, Names.burst, restart.burst());
        number(out, Names.window, restart.window());
        out.writeEndObject();
        out.writeFieldName(Names.stdio);
        out.writeStartObject();
        writeTarget(out, Names.stdin, spec.stdio().stdin());
        writeTarget(out, Names.stdout, spec.stdio().stdout());
        writeTarget(out, Names.stderr, spec.stdio().stderr());
        out.writeEndObject();
        number(out, Names.logBytes, spec.logBytes());
        out.writeFieldName(Names.fds);
        out.writeStartArray();
        for (FdSpec fd : spec.fds()) {
            out.writeStartObject();
            switch (fd) {
                case FdSpec.Listen(String uri, String name) -> string(out, Names.listen, uri);
                case FdSpec.File(String path, String mode, String name) -> {
                    string(out, Names.file, path);
                    string(out, Names.mode, mode);
                }
            }
            string(out, Names.name, fd.name());
            out.writeEndObject();
        }
        out.writeEndArray();
        number(out, Names.stopTimeout, spec.stopTimeout());
        Readiness readiness = spec.readiness();
        if (readiness.announced()) {
            out.writeFieldName(Names.ready);
            switch (readiness.protocol()) {
                case Readiness.Protocol.Running r -> out.writeNull(); // not reached: not announced
                case Readiness.Protocol.Notify n -> out.writeString("notify");
                case Readiness.Protocol.Fd(int fd) -> {
                    out.writeStartObject();
                    number(out, Names.fd, fd);
                    out.writeEndObject();
                }
            }
            number(out, Names.readyTimeout, readiness.timeout());
            number(out, Names.watchdog, readiness.watchdog());
        }
        if (!spec.limits().none()) writeLimits(out, spec.limits());
        out.writeEndObject();
    }

    /** Only the limits that are set: a spec without any shows no {@code limits} at all. */
    private static void writeLimits(JsonGenerator out, Limits limits) throws IOException {
        out.writeFieldName(Names.limits);
        out.writeStartObject();
        if (limits.memory() != null) number(out, Names.memory, limits.memory());
        if (limits.pids() != null) number(out, Names.pids, limits.pids());
        if (limits.cpuWeight() != null) number(out, Names.cpuWeight, limits.cpuWeight());
        out.writeEndObject();
    }

    private static void writeTarget(JsonGenerator out, SerializableString field, Stdio.Target target) throws IOException {
        if (target instanceof Stdio.Target.File(String path, boolean append)) {
            out.writeFieldName(field);
            out.writeStartObject();
            string(out, Names.file, path);
            bool(out, Names.append, append);
            out.writeEndObject();
        } else {
            out.writeFieldName(field);
            out.writeString(target.wire());
        }
    }

    private static void writeAccount(JsonGenerator out, SerializableString field, AccountRef account) throws IOException {
        out.writeFieldName(field);
        switch (account) {
            case null -> out.writeNull();
            case AccountRef.Name(String name) -> out.writeString(name);
            case AccountRef.Id(int id) -> out.writeNumber(id);
        }
    }

    private static void string(JsonGenerator out, SerializableString name, String value) throws IOException {
        out.writeFieldName(name);
        out.writeString(value);
    }

    private static void number(JsonGenerator out, SerializableString name, long value) throws IOException {
        out.writeFieldName(name);
        out.writeNumber(value);
    }

    private static void bool(JsonGenerator out, SerializableString name, boolean value) throws IOException {
        out.writeFieldName(name);
        out.writeBoolean(value);
    }

    private static void nothing(JsonGenerator out, SerializableString name) throws IOException {
        out.writeFieldName(name);
        out.writeNull();
    }
}
