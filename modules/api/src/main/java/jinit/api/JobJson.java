package jinit.api;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.jr.ob.JSON;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON form of specs and jobs. Reading is strict (unknown fields, wrong types and trailing
 * garbage are errors that name the field); writing streams straight to bytes, with no reflection.
 */
public final class JobJson {
    /** Deep nesting is never legitimate in a spec; refuse it early instead of recursing. */
    private static final int MAX_NESTING = 32;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
            .build();
    private static final JSON READER = JSON.builder(FACTORY).build()
            .with(JSON.Feature.FAIL_ON_DUPLICATE_MAP_KEYS, JSON.Feature.PRESERVE_FIELD_ORDERING);

    private static final Set<String> SPEC_FIELDS = Set.of("exec", "args", "cwd", "envs", "env", "user", "group");

    private JobJson() {}

    // ---- reading ----

    /** Parses a request body into a JSON object, or explains why it is not one. */
    public static Map<String, Object> readObject(byte[] body) throws SpecException {
        Object value;
        try (JsonParser parser = FACTORY.createParser(body)) {
            value = READER.anyFrom(parser);
            if (parser.nextToken() != null) throw new SpecException("malformed JSON: trailing content after the object");
        } catch (JsonProcessingException e) {
            throw new SpecException("malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new SpecException("malformed JSON: " + e.getMessage());
        }
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
        return new JobSpec(exec, args, cwd, envs, user, group);
    }

    private static String requiredString(Map<String, Object> object, String field) throws SpecException {
        if (!object.containsKey(field) || object.get(field) == null) throw new SpecException("field '" + field + "' is required");
        return optionalString(object, field);
    }

    private static String optionalString(Map<String, Object> object, String field) throws SpecException {
        Object value = object.get(field);
        if (value == null) return null;
        if (!(value instanceof String text)) throw new SpecException("field '" + field + "' must be a string");
        return noNul(text, field);
    }

    private static String noNul(String text, String field) throws SpecException {
        // A NUL would silently truncate the C string the kernel sees.
        if (text.indexOf('\0') >= 0) throw new SpecException("field '" + field + "' must not contain NUL characters");
        return text;
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
            strings.add(noNul(text, field + "[" + i + "]"));
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
            noNul(key, where);
            if (!(entry.getValue() instanceof String text)) throw new SpecException("field '" + where + "' must be a string");
            envs.put(key, noNul(text, where));
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
            case String name -> new AccountRef.Name(noNul(name, field));
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

    public static byte[] jobs(List<Job> jobs) {
        return write(generator -> {
            generator.writeStartArray();
            for (Job job : jobs) writeJob(generator, job);
            generator.writeEndArray();
        });
    }

    public static byte[] error(String message) {
        return write(generator -> {
            generator.writeStartObject();
            generator.writeStringField("error", message);
            generator.writeEndObject();
        });
    }

    /** Writes any value built of maps, lists, strings, numbers, booleans and nulls. */
    public static byte[] value(Object value) {
        return write(generator -> writeValue(generator, value));
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

    public static void writeJob(JsonGenerator out, Job job) throws IOException {
        out.writeStartObject();
        out.writeStringField("id", job.id());
        out.writeStringField("state", job.state().label());
        out.writeFieldName("pid");
        switch (job.state()) {
            case JobState.Running(int pid) -> out.writeNumber(pid);
            case JobState.Exited e -> out.writeNull();
        }
        out.writeFieldName("spec");
        writeSpec(out, job.spec());
        out.writeStringField("startedAt", job.startedAt().toString());
        switch (job.state()) {
            case JobState.Running r -> {
                out.writeNullField("exitedAt");
                out.writeNullField("exit");
            }
            case JobState.Exited(ExitStatus exit, var exitedAt) -> {
                out.writeStringField("exitedAt", exitedAt.toString());
                out.writeFieldName("exit");
                writeExit(out, exit);
            }
        }
        out.writeNumberField("restarts", job.restarts());
        out.writeEndObject();
    }

    public static void writeExit(JsonGenerator out, ExitStatus exit) throws IOException {
        out.writeStartObject();
        switch (exit) {
            case ExitStatus.Code(int code) -> out.writeNumberField("code", code);
            case ExitStatus.Signaled(int signal, boolean coreDumped) -> {
                out.writeStringField("signal", Signal.name(signal));
                if (coreDumped) out.writeBooleanField("coreDumped", true);
            }
        }
        out.writeEndObject();
    }

    public static void writeSpec(JsonGenerator out, JobSpec spec) throws IOException {
        out.writeStartObject();
        out.writeStringField("exec", spec.exec());
        out.writeArrayFieldStart("args");
        for (String arg : spec.args()) out.writeString(arg);
        out.writeEndArray();
        out.writeStringField("cwd", spec.cwd());
        out.writeFieldName("envs");
        if (spec.envs() == null) {
            out.writeNull();
        } else {
            out.writeStartObject();
            for (var entry : spec.envs().entrySet()) out.writeStringField(entry.getKey(), entry.getValue());
            out.writeEndObject();
        }
        writeAccount(out, "user", spec.user());
        writeAccount(out, "group", spec.group());
        out.writeEndObject();
    }

    private static void writeAccount(JsonGenerator out, String field, AccountRef account) throws IOException {
        out.writeFieldName(field);
        switch (account) {
            case null -> out.writeNull();
            case AccountRef.Name(String name) -> out.writeString(name);
            case AccountRef.Id(int id) -> out.writeNumber(id);
        }
    }

    private static void writeValue(JsonGenerator out, Object value) throws IOException {
        switch (value) {
            case null -> out.writeNull();
            case String text -> out.writeString(text);
            case Integer number -> out.writeNumber(number);
            case Long number -> out.writeNumber(number);
            case Double number -> out.writeNumber(number);
            case Boolean bool -> out.writeBoolean(bool);
            case Map<?, ?> map -> {
                out.writeStartObject();
                for (var entry : map.entrySet()) {
                    out.writeFieldName(String.valueOf(entry.getKey()));
                    writeValue(out, entry.getValue());
                }
                out.writeEndObject();
            }
            case List<?> list -> {
                out.writeStartArray();
                for (Object item : list) writeValue(out, item);
                out.writeEndArray();
            }
            default -> throw new IllegalArgumentException("not a JSON value: " + value.getClass());
        }
    }
}
