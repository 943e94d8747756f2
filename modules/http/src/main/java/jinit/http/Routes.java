package jinit.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import jinit.api.Job;
import jinit.api.JobId;
import jinit.api.JobJson;
import jinit.api.JobSpec;
import jinit.api.Signal;
import jinit.api.SpecException;
import jinit.supervisor.JobException;
import jinit.supervisor.Supervisor;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * Translates HTTP into supervisor calls and supervisor answers into HTTP. No job logic lives here.
 *
 * <pre>
 * GET    /jobs                 list, oldest first
 * POST   /job                  start under a generated id
 * GET    /job/:id              one job
 * PUT    /job/:id              start under this id (409 if it is running)
 * DELETE /job/:id              forget an ended job (409 if it is running)
 * PUT    /job/:id/sig/:sig     signal a running job
 * </pre>
 */
final class Routes implements HttpHandler {
    /** The largest request body accepted; a job spec is a few hundred bytes. */
    static final int MAX_BODY_BYTES = 64 * 1024;

    private final Supervisor supervisor;
    private final List<Route> routes;

    Routes(Supervisor supervisor) {
        this.supervisor = supervisor;
        this.routes = routes();
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Reply reply;
            try {
                reply = route(exchange);
            } catch (HttpError e) {
                reply = Reply.error(e.status(), e.getMessage());
                if (e.allow() != null) reply.header("Allow", e.allow());
            } catch (JobException e) {
                reply = Reply.error(status(e.reason()), e.getMessage());
            } catch (RuntimeException e) {
                // A bug must not take the API down or leak a stack trace to the client.
                System.err.println("jinit: internal error on " + exchange.getRequestMethod() + " "
                        + exchange.getRequestURI().getRawPath() + ": " + e);
                reply = Reply.error(500, "internal error");
            }
            reply.send(exchange);
        }
    }

    /** One route: a method and a path pattern whose ":name" segments are captured. */
    private record Route(String method, String[] pattern, Action action) {
        Route(String method, String pattern, Action action) {
            this(method, pattern.substring(1).split("/"), action);
        }

        Map<String, String> match(List<String> path) {
            if (path.size() != pattern.length) return null;
            Map<String, String> params = new HashMap<>(2);
            for (int i = 0; i < pattern.length; i++) {
                if (pattern[i].startsWith(":")) params.put(pattern[i].substring(1), path.get(i));
                else if (!pattern[i].equals(path.get(i))) return null;
            }
            return params;
        }
    }

    @FunctionalInterface
    private interface Action {
        Reply run(HttpExchange exchange, Map<String, String> params) throws HttpError, JobException, IOException;
    }

    private List<Route> routes() {
        return List.of(
                new Route("GET", "/jobs", (exchange, params) -> Reply.json(200, JobJson.jobs(supervisor.list()))),
                new Route("POST", "/job", (exchange, params) -> created(supervisor.start(readSpec(exchange)))),
                new Route("GET", "/job/:id", (exchange, params) -> {
                    String id = jobId(params);
                    return Reply.json(200, JobJson.job(supervisor.get(id)
                            .orElseThrow(() -> new HttpError(404, "no job '" + id + "'"))));
                }),
                new Route("PUT", "/job/:id", (exchange, params) -> {
                    String id = jobId(params);
                    return created(supervisor.put(id, readSpec(exchange)));
                }),
                new Route("DELETE", "/job/:id", (exchange, params) -> {
                    supervisor.delete(jobId(params));
                    return Reply.noContent();
                }),
                new Route("PUT", "/job/:id/sig/:sig", (exchange, params) -> {
                    String id = jobId(params);
                    String name = params.get("sig");
                    OptionalInt signal = Signal.parse(name);
                    if (signal.isEmpty()) {
                        throw new HttpError(400, "unknown signal '" + name + "': use a name like TERM or SIGTERM, or a number from 1 to 64");
                    }
                    supervisor.signal(id, signal.getAsInt());
                    return Reply.noContent();
                }));
    }

    private Reply route(HttpExchange exchange) throws HttpError, JobException, IOException {
        String method = exchange.getRequestMethod();
        List<String> path = segments(exchange.getRequestURI().getRawPath());
        StringJoiner allowed = new StringJoiner(", ");
        for (Route route : routes) {
            Map<String, String> params = route.match(path);
            if (params == null) continue;
            if (route.method.equals(method)) return route.action.run(exchange, params);
            allowed.add(route.method);
        }
        if (allowed.length() > 0) throw HttpError.methodNotAllowed(allowed.toString());
        throw new HttpError(404, "no route " + method + " " + exchange.getRequestURI().getRawPath());
    }

    private static Reply created(Job job) {
        return Reply.json(201, JobJson.job(job)).header("Location", "/job/" + job.id());
    }

    private static String jobId(Map<String, String> params) throws HttpError {
        String segment = params.get("id");
        if (!JobId.isValid(segment)) {
            throw new HttpError(400, "invalid job id: ids match [A-Za-z0-9][A-Za-z0-9._-]{0,63}");
        }
        return segment;
    }

    private static JobSpec readSpec(HttpExchange exchange) throws HttpError {
        try {
            return JobJson.readSpec(readBody(exchange));
        } catch (SpecException e) {
            throw new HttpError(400, e.getMessage());
        }
    }

    static byte[] readBody(HttpExchange exchange) throws HttpError {
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.toLowerCase(Locale.ROOT).split(";", 2)[0].strip().equals("application/json")) {
            throw new HttpError(415, "the body must be sent as Content-Type: application/json (curl --json does this)");
        }
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            long declared;
            try {
                declared = Long.parseLong(length.strip());
            } catch (NumberFormatException e) {
                throw new HttpError(400, "invalid Content-Length");
            }
            if (declared > MAX_BODY_BYTES) throw tooLarge();
        }
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) throw tooLarge();
            return body;
        } catch (IOException e) {
            throw new HttpError(400, "could not read the request body: " + e.getMessage());
        }
    }

    private static HttpError tooLarge() {
        return new HttpError(413, "the body is larger than " + MAX_BODY_BYTES + " bytes");
    }

    /** Splits a raw path into decoded segments, ignoring empty ones ("/job/" is "/job"). */
    private static List<String> segments(String rawPath) throws HttpError {
        try {
            return java.util.Arrays.stream(rawPath.split("/"))
                    .filter(segment -> !segment.isEmpty())
                    .map(segment -> URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8))
                    .toList();
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, "malformed percent-encoding in the path");
        }
    }

    private static int status(JobException.Reason reason) {
        return switch (reason) {
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case CANNOT_START -> 422;
            case FULL -> 507;
            case SHUTTING_DOWN -> 503;
        };
    }
}
