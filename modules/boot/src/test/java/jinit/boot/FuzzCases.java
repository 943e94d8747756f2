package jinit.boot;

import jinit.http.JobJson;
import jinit.api.JobSpec;
import jinit.api.Restart;
import jinit.api.SpecException;
import jinit.api.Stdio;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * What the API fuzzer sends, as jqwik arbitraries: well-formed requests with hostile contents, and raw
 * bytes that are not quite HTTP. Root sends them all, and root may run anything, so every body the daemon
 * would accept as a job spec passes {@link #harmless} first: it can only start /bin/true (or fail to start
 * a program that does not exist), opens nothing, and never restarts for ever. No request can reach
 * POST /system/{poweroff,reboot,halt} either, however its path is spelled.
 */
final class FuzzCases {
    private FuzzCases() {}

    /** One thing the fuzzer does. */
    sealed interface Case {
        /** A well-formed request on a kept-alive connection: it must get an answer, and never a 5xx. */
        record Exchange(String method, String target, List<String[]> headers, byte[] body, boolean chunked) implements Case {
            byte[] bytes() {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
                for (String[] header : headers) head.append(header[0]).append(": ").append(header[1]).append("\r\n");
                if (body != null && chunked) head.append("Transfer-Encoding: chunked\r\n");
                else if (body != null) head.append("Content-Length: ").append(body.length).append("\r\n");
                head.append("\r\n");
                out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
                if (body != null && chunked) {
                    for (int at = 0; at < body.length; at += 4096) {
                        int size = Math.min(4096, body.length - at);
                        out.writeBytes((Integer.toHexString(size) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(body, at, size);
                        out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } else if (body != null) {
                    out.writeBytes(body);
                }
                return out.toByteArray();
            }

            boolean expectsContinue() {
                return headers.stream().anyMatch(h -> h[0].equalsIgnoreCase("Expect") && h[1].equalsIgnoreCase("100-continue"));
            }
        }

        /**
         * Bytes on a fresh connection, then a half-close. An answer may come or not (the server may just close),
         * but if one comes it is no 5xx, except a 501 for a Transfer-Encoding the server does not implement.
         */
        record Raw(String label, byte[] bytes) implements Case {
            boolean mayBe501() {
                return new String(bytes, StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding");
            }
        }

        /** A fresh connection that sends a few bytes, or none, and is then left open for a while. */
        record HalfOpen(byte[] bytes) implements Case {}
    }

    // ---- the harmlessness oracle ----

    /** What a started job may run: /bin/true, whatever PATH or cwd finds it in, or a program that is not there. */
    static boolean harmless(JobSpec spec) {
        String program = spec.exec().substring(spec.exec().lastIndexOf('/') + 1);
        boolean harmlessProgram = program.equals("true") || spec.exec().startsWith("/nonexistent/");
        boolean quiet = List.of(spec.stdio().stdin(), spec.stdio().stdout(), spec.stdio().stderr()).stream()
                .allMatch(t -> t instanceof Stdio.Target.Null || t instanceof Stdio.Target.Log || t instanceof Stdio.Target.SameAsStdout);
        // /bin/true exits 0: "on-failure" never restarts it, "always" would for a minute or more.
        boolean ends = spec.restart().policy() != Restart.Policy.ALWAYS;
        return harmlessProgram && quiet && ends && spec.fds().isEmpty();
    }

    /** The body as the daemon would read it, unless it is a spec that could start something harmful: then a harmless one. */
    static byte[] defused(byte[] body) {
        if (body == null) return null;
        try {
            if (harmless(JobJson.readSpec(body))) return body;
        } catch (SpecException | RuntimeException notASpec) {
            return body;
        }
        return "{\"exec\":\"/bin/true\",\"args\":[\"defused\"]}".getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Whether the daemon would route this as a system action: its request target's path, split and decoded the
     * way Routes does it, is /system/ACTION. A target the URI parser refuses never reaches a route.
     */
    static boolean isSystemAction(String target) {
        String path;
        try {
            path = new URI(target).getRawPath();
        } catch (URISyntaxException e) {
            return false;
        }
        if (path == null) return false;
        List<String> segments = new ArrayList<>();
        for (String segment : path.split("/")) {
            if (segment.isEmpty()) continue;
            try {
                segments.add(URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        return segments.size() == 2 && segments.getFirst().equals("system");
    }

    // ---- pieces ----

    static final List<String> IDS = List.of("a", "b", "fuzz", "true-1", "true-2", "job-7", "x.y_z-9", "A".repeat(64));
    private static final List<String> BAD_IDS = List.of("..", "../..", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", ".hidden", "-dash",
            "a%2Fb", "a%00b", "%00", "A".repeat(65), "caf%C3%A9", "%FF%FE", "a%20b", "*", "%", "%zz", "a+b", "~root", "$(id)");
    private static final List<String> SIGNALS = List.of("TERM", "KILL", "HUP", "sigterm", "SIGUSR1", "RTMIN+2", "RTMAX-1", "1", "64",
            "-1", "0", "65", "99999", "2147483647", "-9223372036854775809", "RTMIN+99", "RTMIN+2147483647", "2147483648", "RTMIN+9999999999", "SIG", "SIGSIGTERM",
            "%00", "TERM%00", "KILL%20", "1e3", "0x9", "+9", "%E2%80%8B", "%D9%A9", "STOP", "CONT", "SEGV");
    private static final List<String> QUERIES = List.of("", "", "", "?", "?wait=running&timeout=20", "?wait=ended&timeout=0",
            "?wait=bogus&timeout=5", "?wait=ended&timeout=-1", "?wait=ended&timeout=999999999999", "?timeout=abc", "?tail=3",
            "?tail=-1", "?tail=100001", "?tail=99999999999999999999", "?follow=1", "?follow=2", "?follow", "?stream=stdout",
            "?stream=stderr", "?stream=nope", "?timestamps=1", "?since=0", "?since=-5", "?since=x", "?%zz=1", "?a=%",
            "?=&&=", "?wait=ended&wait=running&timeout=1", "?timeout=0&wait=0", "?since=9223372036854775807", "?x=" + "y".repeat(3000));
    // No "/events": a stream whose client has gone ends at its next heartbeat, up to 10 s later
    // (ConnectionLimitsTest.anEventStreamEndsWhenItsClientGoes), longer than the fuzzer waits for fds to settle.
    private static final List<String> ROUTES = List.of("/jobs", "/job", "/job/{id}", "/job/{id}", "/job/{id}/sig/{sig}",
            "/job/{id}/stop", "/job/{id}/log", "/system/{action}", "/", "", "*", "/jobs/", "//job//{id}//",
            "/job/{id}/sig", "/job/{id}/sig/{sig}/more", "/job/{id}/nope", "/JOBS", "/job/{id}/./stop", "/job/{id}/../stop");
    private static final List<String> ACTIONS = List.of("poweroff", "reboot", "halt", "%70oweroff", "nonsense", "", "POWEROFF");
    private static final List<String> METHODS = List.of("GET", "GET", "GET", "POST", "POST", "PUT", "PUT", "DELETE", "HEAD",
            "OPTIONS", "PATCH", "TRACE", "CONNECT", "get", "Post", "PUTT", "X", "M-SEARCH", "PROPFIND", "BREW");

    static Arbitrary<String> methods() {
        return Arbitraries.frequencyOf(
                Tuple.of(12, Arbitraries.of(METHODS)),
                Tuple.of(1, Arbitraries.strings().withCharRange('A', 'Z').ofMinLength(1).ofMaxLength(40)));
    }

    static Arbitrary<String> targets() {
        Arbitrary<String> routed = Combinators.combine(Arbitraries.of(ROUTES), ids(), Arbitraries.of(SIGNALS), Arbitraries.of(ACTIONS),
                Arbitraries.of(QUERIES)).as((route, id, sig, action, query) ->
                route.replace("{id}", id).replace("{sig}", sig).replace("{action}", action) + query);
        Arbitrary<String> randomPath = Arbitraries.strings().withChars("abcjobsig/%.-_~:@!$&'()*+,;=09AF").ofMaxLength(200)
                .map(path -> "/" + path);
        Arbitrary<String> longPath = Arbitraries.integers().between(1, 8000).map(n -> "/job/" + "a".repeat(n));
        Arbitrary<String> absolute = routed.map(path -> "http://localhost" + (path.startsWith("/") ? path : "/" + path));
        return Arbitraries.frequencyOf(Tuple.of(20, routed), Tuple.of(3, randomPath), Tuple.of(1, longPath), Tuple.of(1, absolute));
    }

    static Arbitrary<String> ids() {
        return Arbitraries.frequencyOf(Tuple.of(5, Arbitraries.of(IDS)), Tuple.of(2, Arbitraries.of(BAD_IDS)),
                Tuple.of(1, Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(10)));
    }

    /** Header lines: mostly a loopback Host and the JSON content type, sometimes anything. */
    static Arbitrary<List<String[]>> headers(boolean withBody, String wrongToken) {
        Arbitrary<String[]> host = Arbitraries.frequencyOf(
                Tuple.of(20, Arbitraries.of("127.0.0.1", "localhost", "127.0.0.1:1", "[::1]", "LOCALHOST")),
                Tuple.of(1, Arbitraries.of("evil.example", "", "127.0.0.1:abc", "[::1", "a".repeat(2000), "127.0.0.1, evil.example",
                        "[::1]evil.example", "localhost:80:80", "localhost:"))
        ).map(value -> new String[] {"Host", value});
        Arbitrary<String[]> contentType = Arbitraries.frequencyOf(
                Tuple.of(15, Arbitraries.of("application/json", "application/json; charset=utf-8", "APPLICATION/JSON")),
                Tuple.of(1, Arbitraries.of("text/plain", "application/x-www-form-urlencoded", "application/jsonx", "", ";",
                        "application/json;;;", "multipart/form-data; boundary=x"))
        ).map(value -> new String[] {"Content-Type", value});
        Arbitrary<String[]> extra = Arbitraries.oneOf(
                Arbitraries.of("Connection: close", "Connection: keep-alive", "Expect: 100-continue", "Expect: 999-nope",
                        "Origin: null", "Origin: http://evil.example", "Authorization: Bearer " + wrongToken,
                        "Authorization: Basic cm9vdDpyb290", "Authorization: Bearer", "Authorization: ", "Accept: */*",
                        "X-Forwarded-For: 127.0.0.1", "Cookie: a=b", "Range: bytes=0-1", "If-None-Match: *",
                        "Content-Encoding: gzip", "Upgrade: h2c", "Keep-Alive: timeout=1", "Host: evil.example", "Host: localhost")
                        .map(line -> line.split(": ?", 2)),
                Combinators.combine(Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(20),
                        Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(200)).as((name, value) -> new String[] {"X-" + name, value}));
        Arbitrary<List<String[]>> extras = extra.list().ofMaxSize(4);
        Arbitrary<String[]> noHost = Arbitraries.just(null);
        return Combinators.combine(Arbitraries.frequencyOf(Tuple.of(30, host), Tuple.of(1, noHost)),
                Arbitraries.frequencyOf(Tuple.of(withBody ? 30 : 1, contentType), Tuple.of(withBody ? 1 : 30, noHost)), extras)
                .as((h, type, more) -> {
                    List<String[]> all = new ArrayList<>();
                    if (h != null) all.add(h);
                    if (type != null) all.add(type);
                    all.addAll(more);
                    return all;
                });
    }

    // ---- JSON ----

    /** Values that are wrong in interesting ways, as JSON text. */
    private static final List<String> ODD_VALUES = List.of("null", "true", "false", "0", "-0", "-1", "1e309", "-1e309", "1.5",
            "9223372036854775808", "-9223372036854775809", "123456789012345678901234567890", "1e-999999", "0.0000001",
            "\"\"", "\" \"", "\"\\u0000\"", "\"a\\u0000b\"", "\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\\uFFFF\"", "[]", "{}",
            "[null]", "[1,2,3]", "{\"a\":1}", "\"" + "x".repeat(10_000) + "\"", "NaN", "Infinity", "0x10", "01", "+1", "'single'",
            "\"/bin/true\"", "\"true\"", "\"../../../../bin/true\"", "\"/nonexistent/x\"", "\"root\"", "\"0\"", "\"nobody\"",
            "\"no\"", "\"on-failure\"", "\"null\"", "\"log\"", "\"stdout\"");

    static Arbitrary<String> oddValues() {
        return Arbitraries.oneOf(Arbitraries.of(ODD_VALUES),
                Arbitraries.integers().map(Object::toString),
                Arbitraries.longs().map(Object::toString),
                Arbitraries.doubles().map(Object::toString),
                Arbitraries.strings().ofMaxLength(30).map(Json::write),
                deeplyNested());
    }

    static Arbitrary<String> deeplyNested() {
        return Combinators.combine(Arbitraries.integers().between(1, 30_000), Arbitraries.of("[", "{\"a\":"), Arbitraries.of(true, false))
                .as((depth, open, closed) -> {
                    String close = open.equals("[") ? "]" : "}";
                    return open.repeat(depth) + "1" + (closed ? close.repeat(depth) : "");
                });
    }

    /** A spec-shaped JSON object: the right fields with right or wrong values, unknown fields, duplicates. */
    static Arbitrary<String> specs() {
        Arbitrary<String> exec = Arbitraries.frequencyOf(Tuple.of(6, Arbitraries.of("\"/bin/true\"", "\"true\"", "\"/nonexistent/x\"",
                "\"/nonexistent/" + "d/".repeat(50) + "x\"", "\"bin/true\"", "\"./true\"")), Tuple.of(2, oddValues()));
        Arbitrary<String> args = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.strings().ofMaxLength(20).list().ofMaxSize(5).map(Json::write)),
                Tuple.of(1, Arbitraries.integers().between(0, 5000).map(n -> Json.write(java.util.Collections.nCopies(n, "a")))),
                // Unpaired surrogates (issue 9): no UTF-8 form, so never a C string.
                Tuple.of(1, Arbitraries.of("[\"\\ud800\"]", "[\"a\",\"b\\udc00\"]", "[\"\\udc00\\ud800\"]", "[\"\\ud83d\\ude00\"]")),
                Tuple.of(2, oddValues()));
        Arbitrary<String> envs = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.maps(Arbitraries.strings().ofMinLength(1).ofMaxLength(10), Arbitraries.strings().ofMaxLength(20))
                        .ofMaxSize(4).map(Json::write)),
                Tuple.of(1, Arbitraries.of("{\"PATH\":\"/bin\"}", "{\"PATH\":\"/usr/sbin\"}", "{\"A=B\":\"c\"}", "{\"\":\"x\"}",
                        "{\"A\":null}", "{\"A\":1}", "{\"A\\u0000\":\"b\"}",
                        "{\"A\":\"\\ud800\"}", "{\"PATH\":\"/bin\\udfff\"}")),
                Tuple.of(2, oddValues()));
        Arbitrary<String> account = Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.of("\"root\"", "0", "\"nobody\"", "65534",
                "\"jinit-nosuch\"", "\"4294967296\"", "2147483647", "\"\"")), Tuple.of(1, oddValues()));
        Arbitrary<String> restart = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of("\"no\"", "\"on-failure\"", "{\"policy\":\"on-failure\",\"delay\":0}",
                        "{\"policy\":\"on-failure\",\"delay\":-1}", "{\"policy\":\"no\",\"maxDelay\":1e300}",
                        "{\"policy\":\"on-failure\",\"factor\":0.5}", "{\"policy\":\"on-failure\",\"burst\":-5}",
                        "{\"policy\":\"on-failure\",\"window\":9223372036854775807}", "{\"policy\":\"sometimes\"}",
                        "\"always\"", "{\"policy\":\"always\"}", "{}", "{\"policy\":null}")),
                Tuple.of(1, oddValues()));
        Arbitrary<String> stdio = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of("{}", "{\"stdin\":\"null\"}", "{\"stdout\":\"null\",\"stderr\":\"stdout\"}",
                        "{\"stdin\":\"log\"}", "{\"stdin\":\"stdout\"}", "{\"stdout\":\"stdout\"}", "{\"stderr\":\"bogus\"}",
                        "{\"stdout\":{\"file\":\"/nonexistent/out\"}}", "{\"stdout\":{\"file\":1}}", "{\"stdout\":{}}",
                        "{\"stdout\":{\"file\":\"/nonexistent/\\ud800\"}}",
                        "{\"stdin\":\"console\"}", "{\"nope\":\"log\"}")),
                Tuple.of(1, oddValues()));
        Arbitrary<String> fds = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of("[]", "[{}]", "[{\"listen\":\"bogus\"}]", "[{\"listen\":\"tcp://localhost:1\"}]",
                        "[{\"listen\":\"tcp://127.0.0.1:99999\"}]", "[{\"file\":\"/nonexistent/f\",\"mode\":\"x\"}]",
                        "[{\"listen\":\"tcp://127.0.0.1:0\",\"name\":\"a:b\"}]", "[null]")),
                Tuple.of(1, oddValues()));
        Arbitrary<String> number = Arbitraries.frequencyOf(Tuple.of(2, Arbitraries.of("0", "1", "-1", "16777216", "16777217",
                "86400000", "86400001", "1e3", "2147483648")), Tuple.of(1, oddValues()));
        Arbitrary<String> field = Arbitraries.frequencyOf(
                Tuple.of(4, exec.map(v -> "\"exec\":" + v)),
                Tuple.of(3, args.map(v -> "\"args\":" + v)),
                Tuple.of(1, Arbitraries.of("\"/\"", "\"/nonexistent\"", "\"relative\"", "\"\"", "\"/\\ud800\"").map(v -> "\"cwd\":" + v)),
                Tuple.of(2, envs.map(v -> "\"envs\":" + v)),
                Tuple.of(1, envs.map(v -> "\"env\":" + v)),
                Tuple.of(2, account.map(v -> "\"user\":" + v)),
                Tuple.of(2, account.map(v -> "\"group\":" + v)),
                Tuple.of(2, restart.map(v -> "\"restart\":" + v)),
                Tuple.of(2, stdio.map(v -> "\"stdio\":" + v)),
                Tuple.of(1, number.map(v -> "\"logBytes\":" + v)),
                Tuple.of(1, fds.map(v -> "\"fds\":" + v)),
                Tuple.of(1, number.map(v -> "\"stopTimeout\":" + v)),
                Tuple.of(1, Combinators.combine(Arbitraries.strings().ofMaxLength(12), oddValues()).as((k, v) -> Json.write(k) + ":" + v)));
        return Combinators.combine(exec, field.list().ofMaxSize(6), Arbitraries.of(true, true, true, false))
                .as((e, fields, withExec) -> {
                    List<String> all = new ArrayList<>();
                    if (withExec) all.add("\"exec\":" + e);
                    all.addAll(fields);
                    return "{" + String.join(",", all) + "}";
                });
    }

    /** Specs that start: /bin/true with a few fields that are all right. */
    static Arbitrary<String> validSpecs() {
        Arbitrary<String> field = Arbitraries.of("\"args\":[\"a\",\"\"]", "\"cwd\":\"/\"", "\"envs\":{\"PATH\":\"/bin\",\"A\":\"\\u00e9\"}",
                "\"user\":\"nobody\"", "\"group\":0", "\"restart\":\"on-failure\"", "\"stdio\":{\"stderr\":\"stdout\"}",
                "\"logBytes\":0", "\"stopTimeout\":0", "\"fds\":[]", "\"env\":{}", "\"user\":0");
        return Combinators.combine(Arbitraries.of("\"/bin/true\"", "\"true\"", "\"/nonexistent/x\""), field.set().ofMaxSize(4))
                .as((exec, fields) -> "{\"exec\":" + exec + (fields.isEmpty() ? "" : "," + String.join(",", fields)) + "}");
    }

    /** Bodies: specs, specs broken at the byte level, other JSON, and bytes that are not JSON at all. */
    static Arbitrary<byte[]> bodies() {
        Arbitrary<byte[]> spec = specs().map(s -> s.getBytes(StandardCharsets.UTF_8));
        return Arbitraries.frequencyOf(
                Tuple.of(6, validSpecs().map(s -> s.getBytes(StandardCharsets.UTF_8))),
                Tuple.of(10, spec),
                Tuple.of(6, Combinators.combine(spec, Arbitraries.randoms()).as(FuzzCases::mutate)),
                Tuple.of(2, oddValues().map(s -> s.getBytes(StandardCharsets.UTF_8))),
                Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMaxSize(2000)),
                Tuple.of(1, Arbitraries.of("", " ", "{", "}", "{}", "{\"exec\"", "\u0000", "\uFEFF{\"exec\":\"/bin/true\"}",
                        "{\"exec\":\"/bin/true\"}{\"exec\":\"/bin/true\"}", "{\"exec\":\"/bin/true\"} trailing")
                        .map(s -> s.getBytes(StandardCharsets.UTF_8))),
                Tuple.of(1, Arbitraries.of(new byte[] {'{', '"', 'e', 'x', 'e', 'c', '"', ':', '"', (byte) 0xC3, '"', '}'},
                        new byte[] {'{', '"', (byte) 0xFF, (byte) 0xFE, '"', ':', '1', '}'},
                        new byte[] {'{', '"', 'e', 'x', 'e', 'c', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'},
                        new byte[] {'{', '"', 'e', 'x', 'e', 'c', '"', ':', '"', '/', 'b', 'i', 'n', '/', 't', 'r', 'u', 'e', 0, '"', '}'})));
    }

    private static final String INSERTS = "{}[]\":,\\0 \u0000\u00ff";

    /** A few random byte flips, insertions, deletions and cuts. */
    static byte[] mutate(byte[] original, Random random) {
        List<Byte> bytes = new ArrayList<>(original.length + 8);
        for (byte b : original) bytes.add(b);
        int edits = 1 + random.nextInt(6);
        for (int i = 0; i < edits && !bytes.isEmpty(); i++) {
            int at = random.nextInt(bytes.size());
            switch (random.nextInt(5)) {
                case 0 -> bytes.set(at, (byte) random.nextInt(256));
                case 1 -> bytes.add(at, (byte) INSERTS.charAt(random.nextInt(INSERTS.length())));
                case 2 -> bytes.remove(at);
                case 3 -> bytes.set(at, (byte) (bytes.get(at) ^ (1 << random.nextInt(8))));
                default -> bytes.subList(at, bytes.size()).clear();
            }
        }
        byte[] mutated = new byte[bytes.size()];
        for (int i = 0; i < mutated.length; i++) mutated[i] = bytes.get(i);
        return mutated;
    }

    // ---- whole cases ----

    static final int MAX_EXCHANGE_BODY = 60 * 1024;

    /** Well-formed requests; the oracle defuses their bodies and turns a POST to /system/ACTION into a GET. */
    static Arbitrary<Case.Exchange> exchanges(String wrongToken) {
        // Every part is drawn for every request, used or not: building arbitraries per draw (flatMap) is ten times slower.
        return Combinators.combine(methods(), targets(), Arbitraries.of(true, false), Arbitraries.integers().between(0, 9),
                        headers(true, wrongToken), headers(false, wrongToken), bodies())
                .as((method, target, withBody, chunked, bodyHeaders, plainHeaders, payload) -> {
                    boolean body = withBody && !method.equals("HEAD") && (method.startsWith("P") || method.equals("DELETE") || chunked == 0);
                    String safeMethod = method.equals("POST") && isSystemAction(target) ? "GET" : method;
                    if (!body) return new Case.Exchange(safeMethod, target, plainHeaders, null, false);
                    // The server drains at most 64 KiB of a body it did not read before it answers; beyond that it
                    // closes, and the answer may be lost: the raw cases cover that.
                    byte[] capped = payload.length <= MAX_EXCHANGE_BODY ? payload : Arrays.copyOf(payload, MAX_EXCHANGE_BODY);
                    return new Case.Exchange(safeMethod, target, bodyHeaders, defused(capped), chunked == 1);
                });
    }

    /** Raw bytes: not quite HTTP, each kind labelled for the report. */
    static Arbitrary<Case> raws(String wrongToken) {
        // Never a system action, not even as a GET: a flipped byte must not be able to make it a POST. Never HEAD
        // either: its answer declares a length but has no body, so a reader of raw answers could not tell where it ends.
        Arbitrary<Case.Exchange> source = exchanges(wrongToken).filter(e -> !isSystemAction(e.target()) && !e.method().equals("HEAD"));
        Arbitrary<Case.Exchange> withBody = source.filter(e -> e.body() != null && e.body().length > 0 && !e.chunked());
        Arbitrary<Case> junk = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(3000)
                .map(bytes -> new Case.Raw("junk", bytes));
        Arbitrary<Case> junkLine = Arbitraries.strings().withCharRange(' ', '~').ofMinLength(1).ofMaxLength(300)
                .map(line -> new Case.Raw("junk line", (line + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1)));
        Arbitrary<Case> mutated = Combinators.combine(source, Arbitraries.randoms())
                .as((e, random) -> new Case.Raw("mutated request", mutate(e.bytes(), random)));
        Arbitrary<Case> truncated = Combinators.combine(source, Arbitraries.randoms()).as((e, random) -> {
            byte[] bytes = e.bytes();
            return new Case.Raw("truncated request", Arrays.copyOf(bytes, random.nextInt(bytes.length)));
        });
        Arbitrary<Case> longer = Combinators.combine(withBody, Arbitraries.integers().between(1, 100_000))
                .as((e, more) -> new Case.Raw("Content-Length longer than the body", withContentLength(e, e.body().length + more)));
        Arbitrary<Case> shorter = Combinators.combine(withBody, Arbitraries.randoms()).as((e, random) -> {
            int length = random.nextInt(e.body().length);
            // The daemon parses only the first bytes: they must be harmless too.
            byte[] parsed = Arrays.copyOf(e.body(), length);
            if (defused(parsed) != parsed) length = 0;
            return new Case.Raw("Content-Length shorter than the body", withContentLength(e, length));
        });
        Arbitrary<Case> badLength = Combinators.combine(source, Arbitraries.of("abc", "-1", "1e3", " 12", "99999999999999999999",
                "0x10", "", "12, 12", "+5")).as((e, value) -> new Case.Raw("bad Content-Length",
                rawRequest("POST", "/job", "Content-Type: application/json\r\nContent-Length: " + value, "{}")));
        Arbitrary<Case> twoLengths = Arbitraries.of(
                rawRequest("POST", "/job", "Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3", "{}x"),
                rawRequest("POST", "/job", "Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked", "{}"))
                .map(bytes -> new Case.Raw("conflicting lengths", bytes));
        Arbitrary<Case> otherEncoding = Arbitraries.of("gzip", "chunked, gzip", "identity", "chunked\r\nTransfer-Encoding: chunked",
                        "CHUNKED2", "", "x".repeat(500))
                .map(te -> new Case.Raw("Transfer-Encoding other than chunked",
                        rawRequest("POST", "/job", "Content-Type: application/json\r\nTransfer-Encoding: " + te, "0\r\n\r\n")));
        Arbitrary<Case> chunkedGarbage = Arbitraries.of("zz\r\n{}\r\n0\r\n\r\n", "-1\r\n{}\r\n0\r\n\r\n",
                        "FFFFFFFFFFFFFFFF\r\n{}", "2\r\n{}0\r\n\r\n", "2;ext=\"x\"\r\n{}\r\n0\r\n\r\n", "2\r\n{}\r\n", "2\n{}\n0\n\n",
                        "100000\r\n" + "a".repeat(100), "0\r\nTrailer: x\r\n\r\n", "1\r\n{\r\n1\r\n}\r\n0\r\n\r\n", "\r\n\r\n", "7fffffff\r\n")
                .map(chunks -> new Case.Raw("chunked garbage",
                        rawRequest("POST", "/job", "Content-Type: application/json\r\nTransfer-Encoding: chunked", chunks)));
        Arbitrary<Case> bigBody = Combinators.combine(Arbitraries.integers().between(64 * 1024 + 1, 1024 * 1024), Arbitraries.of(true, false))
                .as((size, chunked) -> {
                    byte[] body = new byte[size];
                    Arrays.fill(body, (byte) ' ');
                    body[0] = '{';
                    body[size - 1] = '}';
                    Case.Exchange e = new Case.Exchange("POST", "/job", List.of(new String[] {"Host", "localhost"},
                            new String[] {"Content-Type", "application/json"}), body, chunked);
                    return new Case.Raw("body over 64 KiB", e.bytes());
                });
        Arbitrary<Case> manyHeaders = Arbitraries.integers().between(60, 400).map(n -> new Case.Raw("many headers",
                rawRequest("GET", "/jobs", "X-A: b\r\n".repeat(n).strip(), "")));
        Arbitrary<Case> hugeHeader = Arbitraries.integers().between(8 * 1024, 64 * 1024).map(n -> new Case.Raw("huge header",
                rawRequest("GET", "/jobs", "X-Big: " + "b".repeat(n), "")));
        Arbitrary<Case> oddLine = Arbitraries.of("GET /jobs HTTP/9.9", "GET /jobs", "GET /jobs HTTP/1.1 extra", "GET  /jobs HTTP/1.1",
                        "GET /jobs HTTP/1.0", " GET /jobs HTTP/1.1", "GET\t/jobs\tHTTP/1.1", "GET /jo bs HTTP/1.1", "GET /j\u0000obs HTTP/1.1",
                        "GET /caf\u00e9 HTTP/1.1", "GET http://evil.example/jobs HTTP/1.1", "GET jobs HTTP/1.1", "GET ? HTTP/1.1",
                        "GET /%%%% HTTP/1.1", "GET /job/%C0%AE%C0%AE HTTP/1.1", "PRI * HTTP/2.0", "\u0000\u0000\u0000")
                .map(line -> new Case.Raw("odd request line", (line + "\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1)));
        Arbitrary<Case> pipelined = source.list().ofMinSize(2).ofMaxSize(4).map(list -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (Case.Exchange e : list) out.writeBytes(e.bytes());
            return new Case.Raw("pipelined", out.toByteArray());
        });
        Arbitrary<Case> earlyClose = source.map(e -> new Case.Raw("closed before the answer", e.bytes()));
        return Arbitraries.frequencyOf(
                Tuple.of(3, junk), Tuple.of(2, junkLine), Tuple.of(6, mutated), Tuple.of(3, truncated), Tuple.of(2, longer),
                Tuple.of(2, shorter), Tuple.of(1, badLength), Tuple.of(1, twoLengths), Tuple.of(1, otherEncoding),
                Tuple.of(2, chunkedGarbage), Tuple.of(1, bigBody), Tuple.of(1, manyHeaders), Tuple.of(1, hugeHeader),
                Tuple.of(2, oddLine), Tuple.of(2, pipelined), Tuple.of(1, earlyClose));
    }

    static Arbitrary<Case> halfOpens() {
        return Arbitraries.of("", "G", "GET", "GET /jobs HTTP/1.1\r\n", "GET /jobs HTTP/1.1\r\nHost: localhost\r\n",
                        "POST /job HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"exec\"",
                        "POST /job HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{")
                .map(prefix -> new Case.HalfOpen(prefix.getBytes(StandardCharsets.ISO_8859_1)));
    }

    /** Requests that start a job, mostly: POST /job or PUT /job/ID with a spec that starts /bin/true, or fails to start. */
    static Arbitrary<Case.Exchange> starts() {
        Arbitrary<String> target = Arbitraries.oneOf(Arbitraries.just("/job"), Arbitraries.of(IDS).map(id -> "/job/" + id));
        return Combinators.combine(target, validSpecs(), Arbitraries.of("localhost", "127.0.0.1", "[::1]:1"))
                .as((path, spec, host) -> new Case.Exchange(path.equals("/job") ? "POST" : "PUT", path,
                        List.of(new String[] {"Host", host}, new String[] {"Content-Type", "application/json"}),
                        defused(spec.getBytes(StandardCharsets.UTF_8)), false));
    }

    /** The mix: mostly well-formed requests, which keep a connection alive; raw bytes and half-open connections. */
    static Arbitrary<Case> cases(String wrongToken) {
        return Arbitraries.frequencyOf(Tuple.of(67, exchanges(wrongToken)), Tuple.of(3, starts()), Tuple.of(28, raws(wrongToken)),
                Tuple.of(2, halfOpens()));
    }

    private static byte[] withContentLength(Case.Exchange e, int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringBuilder head = new StringBuilder(e.method()).append(' ').append(e.target()).append(" HTTP/1.1\r\n");
        for (String[] header : e.headers()) head.append(header[0]).append(": ").append(header[1]).append("\r\n");
        head.append("Content-Length: ").append(length).append("\r\n\r\n");
        out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(e.body());
        return out.toByteArray();
    }

    private static byte[] rawRequest(String method, String target, String headerLines, String body) {
        return (method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" + (headerLines.isEmpty() ? "" : headerLines + "\r\n") + "\r\n" + body)
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    static String describe(Case c) {
        String text = switch (c) {
            case Case.Exchange e -> e.method() + " " + e.target() + " " + e.headers().stream().map(h -> h[0] + ": " + h[1]).toList()
                    + (e.body() == null ? "" : " body " + new String(e.body(), StandardCharsets.UTF_8));
            case Case.Raw r -> r.label() + ": " + new String(r.bytes(), StandardCharsets.ISO_8859_1);
            case Case.HalfOpen h -> "half-open: " + new String(h.bytes(), StandardCharsets.ISO_8859_1);
        };
        text = text.replaceAll("[\\p{Cntrl}]", "·");
        return text.length() > 300 ? text.substring(0, 300) + "… (" + text.length() + " chars)" : text;
    }
}
