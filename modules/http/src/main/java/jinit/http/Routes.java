package jinit.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import jinit.api.Job;
import jinit.api.Usage;
import jinit.api.JobId;
import jinit.api.JobSpec;
import jinit.api.Signal;
import jinit.api.SpecException;
import jinit.supervisor.AccessPolicy;
import jinit.supervisor.Caller;
import jinit.supervisor.EventLog;
import jinit.supervisor.JobException;
import jinit.supervisor.LogRing;
import jinit.supervisor.Supervisor;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.function.Predicate;

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
 * POST   /job/:id/stop         TERM, then KILL after a timeout; no restart
 * GET    /job/:id/log          captured output, optionally followed
 * GET    /events               job state changes as newline-delimited JSON
 * GET    /system               init itself: PID 1 or not, the watchdog
 * POST   /system/:action       poweroff, reboot or halt
 * </pre>
 */
final class Routes implements HttpHandler {
    /** The largest request body accepted; a job spec is a few hundred bytes. */
    static final int MAX_BODY_BYTES = 64 * 1024;

    private final Supervisor supervisor;
    private final SystemControl system;
    private final Guard guard;
    private final AccessPolicy policy;
    private final RefusalLog refusals;
    private final List<Route> routes;
    private final JobJsonCache jsonCache;
    private final ConnectionShares shares;

    Routes(Supervisor supervisor, SystemControl system, Guard guard, ConnectionShares shares, AccessPolicy policy,
           RefusalLog refusals) {
        this.jsonCache = new JobJsonCache(supervisor::size);
        this.supervisor = supervisor;
        this.system = system;
        this.guard = guard;
        this.shares = shares;
        this.policy = policy;
        this.refusals = refusals;
        this.routes = routes();
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Reply reply;
            Caller caller = null;
            // Held until the whole answer is sent: a stream's or a wait's connection stays charged to its caller.
            ConnectionShares.Claim claim = ConnectionShares.Claim.NONE;
            try {
                caller = guard.admit(exchange);
                claim = shares.claim(caller);
                reply = route(exchange, caller);
            } catch (HttpError e) {
                reply = Reply.error(e.status(), e.getMessage());
                if (e.allow() != null) reply.header("Allow", e.allow());
                // Past its share, a caller keeps no connection: it must not hold one open by asking again on it.
                if (e.status() == 429) reply.header("Connection", "close");
                if (e.byRule()) refused(exchange, caller, e.status(), e.getMessage());
            } catch (JobException e) {
                reply = Reply.error(status(e.reason()), e.getMessage());
                // The supervisor's refusals by a rule: the access rules (403) and the shares of the table (429).
                if (e.reason() == JobException.Reason.FORBIDDEN || e.reason() == JobException.Reason.OVER_SHARE) {
                    refused(exchange, caller, status(e.reason()), e.getMessage());
                }
            } catch (RuntimeException e) {
                // A bug must not take the API down or leak a stack trace to the client.
                System.err.println("jinit: internal error on " + exchange.getRequestMethod() + " "
                        + exchange.getRequestURI().getRawPath() + ": " + e);
                reply = Reply.error(500, "internal error");
            }
            try {
                reply.send(exchange);
            } finally {
                claim.close();
            }
        }
    }

    private void refused(HttpExchange exchange, Caller caller, int status, String rule) {
        refusals.refused(status, caller == null ? null : caller.uid(), exchange.getRequestMethod(),
                exchange.getRequestURI().getRawPath(), rule);
    }

    /** One route: a method and a path pattern whose ":name" segments are captured. */
    /** {@code readsBody}: only a start reads one; any other route drains what a client sent before it acts. */
    private record Route(String method, String[] pattern, boolean readsBody, Action action) {
        Route(String method, String pattern, Action action) {
            this(method, pattern.substring(1).split("/"), false, action);
        }

        static Route withBody(String method, String pattern, Action action) {
            return new Route(method, pattern.substring(1).split("/"), true, action);
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
        Reply run(HttpExchange exchange, Map<String, String> params, Caller caller) throws HttpError, JobException, IOException;
    }

    private List<Route> routes() {
        return List.of(
                new Route("GET", "/jobs", (exchange, params, caller) -> {
                    List<Job> jobs = supervisor.list();
                    List<byte[]> parts = new ArrayList<>(jobs.size());
                    for (Job job : jobs) parts.add(json(caller, job));
                    return Reply.jsonArray(parts);
                }),
                Route.withBody("POST", "/job", (exchange, params, caller) ->
                        created(policy.view(caller, supervisor.start(policy.admitStart(caller, null, readSpec(exchange)), caller)))),
                new Route("GET", "/job/:id", this::getJob),
                Route.withBody("PUT", "/job/:id", (exchange, params, caller) -> {
                    String id = jobId(params);
                    return created(supervisor.put(id, policy.admitStart(caller, id, readSpec(exchange)), caller));
                }),
                new Route("DELETE", "/job/:id", (exchange, params, caller) -> {
                    supervisor.delete(jobId(params), caller);
                    return Reply.noContent();
                }),
                new Route("PUT", "/job/:id/sig/:sig", (exchange, params, caller) -> {
                    String id = jobId(params);
                    String name = params.get("sig");
                    OptionalInt signal = Signal.parse(name);
                    if (signal.isEmpty()) {
                        throw new HttpError(400, "unknown signal '" + name + "': use a name like TERM or SIGTERM, or a number from 1 to 64");
                    }
                    supervisor.signal(id, signal.getAsInt(), caller);
                    return Reply.noContent();
                }),
                new Route("POST", "/job/:id/stop", this::stopJob),
                new Route("GET", "/job/:id/log", this::jobLog),
                new Route("GET", "/events", this::events),
                new Route("GET", "/system", (exchange, params, caller) -> Reply.json(200, JobJson.value(system.status()))),
                new Route("POST", "/system/:action", this::systemAction));
    }

    /** The longest a client may block in one request on ?wait= or a stop. */
    static final long MAX_WAIT_MS = 600_000;
    /** The default wait for ?wait= without a timeout. */
    static final long DEFAULT_WAIT_MS = 30_000;
    /** How often an idle event stream sends a blank line: a gone client fails the second write, within 10 s. */
    static final long EVENT_HEARTBEAT_MS = 5_000;
    /** The most lines a tail may ask for; the ring is bounded anyway, this bounds the work. */
    static final int MAX_TAIL_LINES = 100_000;

    private Reply getJob(HttpExchange exchange, Map<String, String> params, Caller caller) throws HttpError, JobException {
        String id = jobId(params);
        Query query = Query.of(exchange);
        String wait = query.get("wait");
        if (wait == null) {
            Job job = supervisor.get(id).orElseThrow(() -> new HttpError(404, "no job '" + id + "'"));
            // Usage is read afresh from the job's cgroup: only here, so GET /jobs stays a copy of cached bytes.
            Usage usage = job.running() ? supervisor.usage(id).orElse(null) : null;
            return Reply.json(200, usage == null ? json(caller, job) : JobJson.withUsage(json(caller, job), usage));
        }
        Predicate<Job> condition = switch (wait) {
            case "running" -> Job::running;
            case "ended" -> Job::ended;
            // A job whose process ended before it was ready answers at once, so the caller sees why.
            case "ready" -> job -> job.ready() || !job.running();
            default -> throw new HttpError(400, "wait must be 'running', 'ready' or 'ended'");
        };
        long timeout = query.number("timeout", 0, MAX_WAIT_MS, DEFAULT_WAIT_MS);
        return awaitJob(id, condition, timeout, caller, "job '" + id + "' was not " + wait + " within " + timeout + " ms");
    }

    /** 200 with the job once it meets {@code condition}; 408 with {@code timeoutMessage} otherwise. */
    private Reply awaitJob(String id, Predicate<Job> condition, long timeout, Caller caller, String timeoutMessage)
            throws HttpError, JobException {
        try {
            return supervisor.await(id, condition, timeout)
                    .map(job -> Reply.json(200, json(caller, job)))
                    .orElseThrow(() -> new HttpError(408, timeoutMessage));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "interrupted");
        }
    }

    private Reply stopJob(HttpExchange exchange, Map<String, String> params, Caller caller) throws HttpError, JobException {
        String id = jobId(params);
        Query query = Query.of(exchange);
        Job job = supervisor.get(id).orElseThrow(() -> new HttpError(404, "no job '" + id + "'"));
        long timeout = query.number("timeout", 0, MAX_WAIT_MS, job.spec().stopTimeout());
        boolean wait = !"0".equals(query.get("wait"));
        Job stopping = supervisor.stop(id, timeout, caller);
        if (stopping.ended()) return Reply.json(200, jsonCache.of(stopping));
        if (!wait) return Reply.json(202, jsonCache.of(stopping));
        // KILL follows the timeout, so the end comes soon after; the margin covers the reaper.
        return awaitJob(id, Job::ended, timeout + 5_000, caller, "job '" + id + "' did not end after KILL");
    }

    private Reply jobLog(HttpExchange exchange, Map<String, String> params, Caller caller) throws HttpError, JobException {
        String id = jobId(params);
        Query query = Query.of(exchange);
        LogRing log = supervisor.log(id, caller);
        LogRing.Filter filter = switch (query.get("stream") == null ? "both" : query.get("stream")) {
            case "stdout" -> LogRing.Filter.STDOUT;
            case "stderr" -> LogRing.Filter.STDERR;
            case "both" -> LogRing.Filter.BOTH;
            default -> throw new HttpError(400, "stream must be 'stdout', 'stderr' or 'both'");
        };
        int tail = (int) query.number("tail", 0, MAX_TAIL_LINES, -1);
        boolean follow = query.flag("follow");
        boolean timestamps = query.flag("timestamps");
        LogRing.Cursor start = log.tail(tail, filter);
        // Without follow the answer ends at what the log holds now. Either way it goes out a bounded slice at a
        // time: a 16 MiB log (26 times that with a stamp on every 1-byte line) is never copied whole, however
        // many clients read it, however slowly.
        long until = follow ? Long.MAX_VALUE : log.end();
        Reply reply = Reply.stream("text/plain; charset=utf-8", out -> {
            LogRing.Cursor cursor = start;
            while (cursor.position() < until) {
                LogRing.Slice slice = log.read(cursor, until, filter, timestamps, follow ? 1_000 : 0);
                if (slice.bytes().length > 0) {
                    out.write(slice.bytes());
                    out.flush();
                }
                cursor = slice.next();
                if (slice.finished()) break;
            }
        });
        return reply.header("X-Jinit-Dropped-Bytes", Long.toString(log.droppedBytes()));
    }

    private Reply events(HttpExchange exchange, Map<String, String> params, Caller caller) throws HttpError {
        Query query = Query.of(exchange);
        EventLog events = supervisor.events();
        long since = query.number("since", 0, Long.MAX_VALUE, events.nextSeq());
        return Reply.stream("application/x-ndjson", out -> {
            long next = since;
            while (true) {
                List<EventLog.Event> batch = events.since(next, EVENT_HEARTBEAT_MS);
                if (batch.isEmpty()) {
                    // A blank line when nothing happened: writing is the only way to notice a client that
                    // went away, whose connection would otherwise be held until the next event.
                    out.write('\n');
                }
                for (EventLog.Event event : batch) {
                    out.write(JobJson.write(generator -> EventJson.write(generator, event)));
                    out.write('\n');
                    next = event.seq() + 1;
                }
                out.flush();
            }
        });
    }

    private Reply systemAction(HttpExchange exchange, Map<String, String> params, Caller caller) throws HttpError, JobException {
        policy.admitSystem(caller);
        SystemControl.Action action = switch (params.get("action")) {
            case "poweroff" -> SystemControl.Action.POWEROFF;
            case "reboot" -> SystemControl.Action.REBOOT;
            case "halt" -> SystemControl.Action.HALT;
            default -> throw new HttpError(404, "no system action '" + params.get("action") + "'; use poweroff, reboot or halt");
        };
        system.shutdown(action, "POST /system/" + params.get("action"));
        return Reply.json(202, JobJson.value(Map.of("shutdown", params.get("action"))));
    }

    /** The job as {@code caller} may see it: the cached bytes of the snapshot, unless envs are redacted. */
    private byte[] json(Caller caller, Job job) {
        Job view = policy.view(caller, job);
        return view == job ? jsonCache.of(job) : JobJson.job(view);
    }

    private Reply route(HttpExchange exchange, Caller caller) throws HttpError, JobException, IOException {
        String method = exchange.getRequestMethod();
        List<String> path = segments(exchange.getRequestURI().getRawPath());
        StringJoiner allowed = new StringJoiner(", ");
        for (Route route : routes) {
            Map<String, String> params = route.match(path);
            if (params == null) continue;
            if (route.method.equals(method)) {
                // Until its body has been read, jdk.httpserver counts a request against the request-read timeout
                // (sun.net.httpserver.maxReqTime, 5 s) and then closes it: a stop, wait or stream that a client sent
                // with a body it does not need would be cut. Draining it now completes the request.
                if (!route.readsBody) exchange.getRequestBody().close();
                return route.action.run(exchange, params, caller);
            }
            allowed.add(route.method);
        }
        if (allowed.length() > 0) throw HttpError.methodNotAllowed(allowed.toString());
        throw new HttpError(404, "no route " + method + " " + exchange.getRequestURI().getRawPath());
    }

    private Reply created(Job job) {
        return Reply.json(201, jsonCache.of(job)).header("Location", "/job/" + job.id());
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
            throw new HttpError(e.conflict() ? 422 : 400, e.getMessage());
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
            List<String> segments = new ArrayList<>(4);
            for (String segment : rawPath.split("/")) {
                if (segment.isEmpty()) continue;
                // Most segments need no decoding; URLDecoder would copy them anyway.
                boolean encoded = segment.indexOf('%') >= 0 || segment.indexOf('+') >= 0;
                segments.add(encoded ? URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8) : segment);
            }
            return segments;
        } catch (IllegalArgumentException e) {
            throw new HttpError(400, "malformed percent-encoding in the path");
        }
    }

    private static int status(JobException.Reason reason) {
        return switch (reason) {
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case FORBIDDEN -> 403;
            case CANNOT_START -> 422;
            case FULL -> 507;
            case OVER_SHARE -> 429;
            case SHUTTING_DOWN -> 503;
        };
    }
}
