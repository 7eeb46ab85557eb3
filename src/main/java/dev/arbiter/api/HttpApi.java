package dev.arbiter.api;

import dev.arbiter.admin.AdminAccess;
import dev.arbiter.admin.AdminRoute;
import dev.arbiter.admin.AdminRoutes;

import dev.arbiter.wire.Fields;
import dev.arbiter.wire.Bodies;
import dev.arbiter.wire.Json;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.config.ServerConfig;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.ErrorKind;
import dev.arbiter.error.Untrusted;
import dev.arbiter.observe.AccessLog;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.pipeline.Caller;
import dev.arbiter.auth.Credential;
import dev.arbiter.auth.ModelAccess;
import dev.arbiter.store.InputItemsPage;
import dev.arbiter.store.ResponsesStage;
import dev.arbiter.pipeline.Deadline;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Pipeline;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.Watchdog;
import dev.arbiter.reasoning.ReasoningEnvelope;
import dev.arbiter.route.ModelRegistry;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.CharConversionException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP edge: routes, request limits (size, media type, JSON depth and string length, UTF-8), request ids,
 * deadlines, and the writing of answers, streams and errors in each API's own format.
 */
public final class HttpApi {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    static final HeaderName REQUEST_ID = HeaderNames.create("x-request-id");
    private static final HeaderName API_KEY = HeaderNames.create("x-api-key");
    private static final HeaderName TIMEOUT = HeaderNames.create("x-arbiter-timeout");
    private static final HeaderName STAINLESS_TIMEOUT = HeaderNames.create("x-stainless-timeout");
    /** Set by {@link RequestFramer} on a request that came as HTTP/1.0. */
    private static final HeaderName HTTP10 = HeaderNames.create(RequestFramer.HTTP10);
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9._:\\-]{1,128}");
    /** Client headers that stages and providers may read; credentials are never among them. */
    private static final List<HeaderName> FORWARDED = List.of(HeaderNames.create("anthropic-version"),
            HeaderNames.create("anthropic-beta"), HeaderNames.create("user-agent"), HeaderNames.create("x-arbiter-session"),
            // the cache stage's (dev.arbiter.cache.CacheStage.REQUEST_HEADERS)
            HeaderNames.create("cache-control"), HeaderNames.create("x-arbiter-cache-ttl"), HeaderNames.create("x-arbiter-cache-namespace"),
            HeaderNames.create("x-arbiter-single-flight"),
            HeaderNames.create("x-arbiter-max-cost"), HeaderNames.create("x-arbiter-min-quality"),
            // read by the rate limits (the user tier) and priorities
            HeaderNames.create("x-arbiter-user"), HeaderNames.create("x-arbiter-priority"),
            // W3C trace context: the request's span continues the caller's, and upstream calls carry it on (observe/TraceStage)
            HeaderNames.create("traceparent"), HeaderNames.create("tracestate"));

    private static final Set<String> KNOWN_PATHS = Set.of("/v1/chat/completions", "/chat/completions", "/v1/completions",
            "/completions", "/v1/embeddings", "/embeddings", "/v1/messages", "/v1/messages/count_tokens", "/v1/responses", "/v1/feedback", "/v1/models", "/models", "/healthz", "/readyz", "/metrics");

    private final ServerConfig server;
    private final Pipeline pipeline;
    private final ModelRegistry registry;
    private final LongSupplier nanos;
    private final ObjectMapper mapper;
    private final StreamWriter streams;
    private final ResponsesSurface responses;
    /** The gateway's metrics in Prometheus' text format, for {@code GET /metrics}. */
    private final Supplier<String> metrics;
    /** The JSON admin API under {@code /admin/}: every feature's routes, and who may call them. */
    private final AdminRoutes admin;
    private final AdminAccess adminAccess;
    private volatile ModelAccess modelAccess = ModelAccess.OPEN;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean draining = new AtomicBoolean();
    private volatile boolean ready;
    private volatile Refusals refusals = Refusals.NONE;

    /**
     * Told of each request this edge refuses before the pipeline runs (body too large or not a valid request, an invalid
     * header, draining), which the pipeline's stages never see: tracing gives such a request its span.
     */
    @FunctionalInterface
    public interface Refusals {
        Refusals NONE = (requestId, headers, method, path, status, error, nanos) -> { };

        void refused(String requestId, Map<String, String> headers, String method, String path, int status, String error, long nanos);
    }

    /** Sets who is told of requests refused before the pipeline (none by default). */
    public void refusals(Refusals refusals) {
        this.refusals = refusals;
    }

    /**
     * @param reasoning and {@code watchdog}: the gateway's own, for Responses answers and stream keep-alives
     * @param admin       the admin API's routes, mounted under {@code /admin/} behind {@code adminAccess}
     */
    public HttpApi(ServerConfig server, Pipeline pipeline, ModelRegistry registry, LongSupplier nanos, ReasoningEnvelope reasoning,
            Watchdog watchdog, Supplier<String> metrics, AdminRoutes admin, AdminAccess adminAccess) {
        this.server = server;
        this.metrics = metrics;
        this.admin = admin;
        this.adminAccess = adminAccess;
        this.responses = new ResponsesSurface(reasoning);
        this.pipeline = pipeline;
        this.registry = registry;
        this.nanos = nanos;
        this.mapper = Json.requestMapper(server.maxJsonDepth(), server.maxStringBytes());
        this.streams = new StreamWriter(server.keepAliveInterval(), watchdog);
    }

    public void routing(HttpRouting.Builder r) {
        for (String p : new String[] {"/v1/chat/completions", "/chat/completions"}) r.post(p, (q, s) -> handle(Surface.CHAT, q, s));
        for (String p : new String[] {"/v1/completions", "/completions"}) r.post(p, (q, s) -> handle(Surface.COMPLETIONS, q, s));
        for (String p : new String[] {"/v1/embeddings", "/embeddings"}) r.post(p, (q, s) -> handle(Surface.EMBEDDINGS, q, s));
        r.post("/v1/messages", (q, s) -> handle(Surface.MESSAGES, q, s));
        r.post("/v1/responses", (q, s) -> handle(responses, q, s));
        r.post("/v1/messages/count_tokens", (q, s) -> handle(Surface.COUNT_TOKENS, q, s));
        r.post("/v1/feedback", (q, s) -> run(responses, q, s, () -> dev.arbiter.decide.Feedback.request(readBody(q, s))));
        r.get("/v1/responses/{id}", (q, s) -> storedResponse(q, s, "get"));
        r.get("/v1/responses/{id}/input_items", (q, s) -> storedResponse(q, s, "input_items"));
        r.delete("/v1/responses/{id}", (q, s) -> storedResponse(q, s, "delete"));
        // the routes above are logged by the pipeline's observe stage (or as rejected); these by logged(...)
        for (String p : new String[] {"/v1/models", "/models"}) r.get(p, logged(this::models));
        // model ids may hold slashes (openai/gpt-4o), so the rest of the path is the id
        for (String p : new String[] {"/v1/models/*", "/models/*"}) r.get(p, logged(this::model));
        // the admin API: JSON, every feature's routes, behind the admin key once one is configured
        r.any("/admin/*", logged(this::admin));
        r.get("/metrics", logged((q, s) -> s.header("content-type", "text/plain; version=0.0.4; charset=utf-8").send(metrics.get())));
        r.get("/healthz", logged((q, s) -> s.header("content-type", "application/json").send("{\"status\":\"ok\"}")));
        r.get("/readyz", logged(this::readyz));
        r.any(logged(this::fallback));
    }

    /** The error code of the answer being written on this thread, for its access line (set by {@link #error}). */
    private static final ThreadLocal<String> ANSWERED_ERROR = new ThreadLocal<>();

    /**
     * A route that gives every request a request id (the caller's, when safe) and leaves one access line when answered,
     * whatever it answered.
     */
    private io.helidon.webserver.http.Handler logged(io.helidon.webserver.http.Handler h) {
        return (req, res) -> {
            long start = System.nanoTime();
            String rid = requestId(req);
            res.header(REQUEST_ID, rid);
            ANSWERED_ERROR.remove();
            try {
                h.handle(req, res);
            } finally {
                AccessLog.answered(rid, req.prologue().method().text(), req.path().path(), res.status().code(),
                        ANSWERED_ERROR.get(), System.nanoTime() - start);
                ANSWERED_ERROR.remove();
            }
        };
    }

    /** The request id {@link #logged} gave the request. */
    private static String rid(ServerResponse res) {
        return res.headers().first(REQUEST_ID).orElseGet(HttpApi::newRequestId);
    }

    /** Marks the server ready (config loaded, listening). */
    public void ready() {
        ready = true;
    }

    /** Stops admitting requests: new ones get 503 while those in flight finish. */
    public void drain() {
        draining.set(true);
    }

    public int inFlight() {
        return inFlight.get();
    }

    /**
     * Ends the streams still being written (the drain timeout passed): each gets its format's error event and a proper
     * end, and its access line is written.
     */
    public void cutStreams() {
        streams.cutAll(new ArbiterException.Overloaded("Arbiter is shutting down: the stream was ended when the drain timeout passed",
                Duration.ofSeconds(1), false));
    }

    private void handle(Surface surface, ServerRequest req, ServerResponse res) {
        run(surface, req, res, () -> surface.decode(readBody(req, res)));
    }

    /** {@code GET} or {@code DELETE /v1/responses/{id}} and its input items: answered by the pipeline's Responses stage. */
    private void storedResponse(ServerRequest req, ServerResponse res, String action) {
        run(responses, req, res, () -> {
            ObjectNode query = Json.object();
            for (String name : new String[] {"limit", "order", "after"}) {
                if (req.query().contains(name)) query.put(name, req.query().get(name));
            }
            return ResponsesStage.storedResponseRequest(req.path().pathParameters().get("id"), action, query);
        });
    }

    /**
     * Runs one request through the pipeline and writes its answer: {@code decoder} makes the request (reading the body,
     * for a POST); everything it throws before the pipeline is answered here, with a "rejected" access line, and
     * everything after by the pipeline's observe stage.
     */
    private void run(Surface surface, ServerRequest req, ServerResponse res, java.util.function.Supplier<LlmRequest> decoder) {
        String rid = requestId(req);
        res.header(REQUEST_ID, rid);
        inFlight.incrementAndGet();
        long start = System.nanoTime();
        boolean piped = false;
        try {
            if (draining.get()) {
                throw new ArbiterException.Overloaded("Arbiter is shutting down; retry on another instance",
                        Duration.ofSeconds(1), false);
            }
            LlmRequest request = decoder.get();
            Exchange exchange = Exchange.of(rid, Caller.ANONYMOUS, request, deadline(req), forwardedHeaders(req))
                    .with(Credential.KEY, new Credential(req.headers().first(HeaderNames.AUTHORIZATION), req.headers().first(API_KEY)));
            piped = true;   // from here the pipeline's observe stage accounts for the request
            Reply reply = pipeline.handle(exchange);
            served(res, reply);
            switch (reply) {
                case Reply.Complete c -> {
                    res.header("content-type", "application/json");
                    res.send(Json.bytes(surface.encode(c, request, rid)));
                }
                case Reply.Streaming s -> streams.write(s.stream(), surface.streamEncoder(s, request, rid), res, surface, rid,
                        req.headers().contains(HTTP10));
            }
        } catch (ArbiterException e) {
            if (!piped) {
                ErrorKind kind = ErrorKind.of(e);
                String code = e.code() != null ? e.code() : kind.openAiType();
                long took = System.nanoTime() - start;
                AccessLog.rejected(rid, req.path().path(), kind.status(), code, took);
                refusals.refused(rid, forwardedHeaders(req), req.prologue().method().text(), req.path().path(), kind.status(), code, took);
            }
            error(surface, e, res, rid);
        } catch (RuntimeException e) {
            log.error("request {} failed unexpectedly", rid, e);
            error(surface, new ArbiterException.Internal("Arbiter failed to handle the request (request id " + rid + ")"), res, rid);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private static void served(ServerResponse res, Reply reply) {
        var by = reply.servedBy();
        if (by != null) {
            res.header("x-arbiter-model", headerValue(by.model()));
            res.header("x-arbiter-deployment", headerValue(by.deployment()));
            res.header("x-arbiter-provider", headerValue(by.provider()));
        }
        reply.headers().forEach((name, value) -> res.header(name, headerValue(value)));
    }

    private static final String HEX = "0123456789ABCDEF";

    /**
     * A header value that is safe to send whatever it was made from (a dropped tool's type comes from the caller):
     * made only of visible ASCII and inner spaces is sent as is; otherwise, from the first character that is not, anything
     * but visible ASCII (control characters, CR/LF, spaces, non-ASCII, and '%' itself) is percent-encoded as UTF-8,
     * so no value can split a header, and none makes the server refuse the whole response.
     */
    static String headerValue(String v) {
        int n = v.length();
        int i = 0;
        while (i < n && (v.charAt(i) > ' ' && v.charAt(i) < 0x7f || v.charAt(i) == ' ' && i > 0 && i < n - 1)) i++;
        if (i == n && n > 0) return v;
        var sb = new StringBuilder(n + 16).append(v, 0, i);
        for (byte b : v.substring(i).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c > ' ' && c < 0x7f && c != '%') sb.append((char) c);
            else sb.append('%').append(HEX.charAt(c >> 4)).append(HEX.charAt(c & 15));
        }
        return sb.isEmpty() ? "-" : sb.toString();
    }

    static void error(Surface surface, ArbiterException e, ServerResponse res, String rid) {
        if (res.isSent()) return;
        ErrorKind kind = ErrorKind.of(e);
        ANSWERED_ERROR.set(e.code() != null ? e.code() : kind.openAiType());
        if (kind.status() >= 500) log.warn("request {} answered {}: {}", rid, kind.status(), e.getMessage());
        res.status(kind.status());
        Duration retryAfter = switch (e) {
            case ArbiterException.Overloaded o -> o.retryAfter();
            case ArbiterException.Upstream u -> u.retryAfter();
            default -> null;
        };
        if (retryAfter != null) {
            // whole seconds, rounded up, as RFC 9110 has it; and the exact wait as OpenAI's SDKs read it first
            res.header("retry-after", Long.toString(Math.max(1, (retryAfter.toMillis() + 999) / 1000)));
            res.header("retry-after-ms", Long.toString(retryAfter.toMillis()));
        }
        e.headers().forEach((name, value) -> res.header(name, headerValue(value)));
        res.header("content-type", "application/json");
        res.send(Json.bytes(surface.error(e, rid)));
    }

    private String requestId(ServerRequest req) {
        return req.headers().first(REQUEST_ID).filter(v -> SAFE_ID.matcher(v).matches())
                .orElseGet(HttpApi::newRequestId);
    }

    /** A random id; request ids need not be unguessable, so no SecureRandom (a measurable cost per request). */
    static String newRequestId() {
        var r = java.util.concurrent.ThreadLocalRandom.current();
        return new UUID(r.nextLong(), r.nextLong()).toString();
    }

    private Deadline deadline(ServerRequest req) {
        Duration limit = server.requestTimeout();
        var h = req.headers();
        for (HeaderName name : new HeaderName[] {TIMEOUT, STAINLESS_TIMEOUT}) {
            var v = h.first(name);
            if (v.isEmpty()) continue;
            Duration d = parseTimeout(v.get(), name.lowerCase());
            if (d.compareTo(limit) < 0) limit = d;
        }
        return Deadline.after(limit, nanos);
    }

    static Duration parseTimeout(String v, String header) {
        var m = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m)?").matcher(v.trim());
        if (!m.matches()) {
            throw new ArbiterException.BadRequest("Invalid header " + header + ": '" + v + "' (expected: a duration such as 30s, 1500ms or 30)", header);
        }
        double n = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        long millis = Math.round(switch (unit) {
            case "ms" -> n;
            case "m" -> n * 60_000;
            default -> n * 1000;
        });
        if (millis <= 0) throw new ArbiterException.BadRequest("Invalid header " + header + ": '" + v + "' (expected: a positive duration)", header);
        return Duration.ofMillis(millis);
    }

    private static Map<String, String> forwardedHeaders(ServerRequest req) {
        var out = new HashMap<String, String>(4);
        for (HeaderName name : FORWARDED) req.headers().first(name).ifPresent(v -> out.put(name.lowerCase(), v));
        return out;
    }

    private ObjectNode readBody(ServerRequest req, ServerResponse res) {
        var type = req.headers().first(HeaderNames.CONTENT_TYPE);
        if (type.isPresent() && !type.get().toLowerCase(java.util.Locale.ROOT).contains("json")) {
            throw new ArbiterException.UnsupportedMediaType("Unsupported Content-Type '" + Untrusted.text(type.get(), 100)
                    + "' (expected: application/json)");
        }
        var length = req.headers().contentLength();
        byte[] bytes;
        try (InputStream in = req.content().inputStream()) {
            if (length.isPresent() && length.getAsLong() > server.maxBodyBytes()) throw tooLarge(res, in);
            // one more than the limit, so a body without a length that exceeds it is caught
            bytes = Bodies.read(in, length.orElse(-1), (int) Math.min(Integer.MAX_VALUE - 8, server.maxBodyBytes() + 1));
            if (bytes.length > server.maxBodyBytes()) throw tooLarge(res, in);
        } catch (IOException | RuntimeException e) {
            if (e instanceof ArbiterException.PayloadTooLarge p) throw p;
            // a body that could not be read leaves the connection's framing unknown: it is closed after the answer
            // (the framer also stops reading it; see RequestFramer)
            throw closing(res, bodyFailure(e));
        }
        if (bytes.length == 0) throw new ArbiterException.BadRequest("The request body is empty (expected: a JSON object)", null);
        Utf8.requireValid(bytes);
        JsonNode node;
        try {
            node = mapper.readTree(bytes);
        } catch (StreamConstraintsException e) {
            throw new ArbiterException.BadRequest("The request body exceeds a JSON limit: " + firstLine(e.getOriginalMessage())
                    + " (limits: nesting depth " + server.maxJsonDepth() + ", string length " + server.maxStringBytes() + ")", null, "json_limit_exceeded");
        } catch (CharConversionException e) {
            throw new ArbiterException.BadRequest("The request body is not valid UTF-8", null, "invalid_encoding");
        } catch (JsonParseException e) {
            String msg = firstLine(e.getOriginalMessage());
            if (msg.contains("UTF-8") || msg.contains("UTF8")) {
                throw new ArbiterException.BadRequest("The request body is not valid UTF-8: " + msg, null, "invalid_encoding");
            }
            throw unparsable(msg, e);
        } catch (com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
            // readTree fails this way only on data after the value (FAIL_ON_TRAILING_TOKENS); its message names Jackson's types
            throw unparsable("unexpected data after the JSON value", e);
        } catch (IOException e) {
            throw new ArbiterException.BadRequest("We could not parse the JSON body of your request: " + firstLine(e.getMessage()), null, "invalid_json");
        }
        if (!(node instanceof ObjectNode obj)) {
            throw new ArbiterException.BadRequest("The request body must be a JSON object, but got " + Fields.describe(node) + ".", null, "invalid_json");
        }
        return obj;
    }

    /**
     * A JSON syntax error told with one line and column: Jackson's own message ({@code getOriginalMessage}, without its
     * {@code [Source: ...; line, column]} suffix) and the location of the error.
     */
    private static ArbiterException unparsable(String what, com.fasterxml.jackson.core.JsonProcessingException e) {
        var loc = e.getLocation();
        return new ArbiterException.BadRequest("We could not parse the JSON body of your request: " + what
                + (loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")"), null, "invalid_json");
    }

    /** What a failed body read is told as: the framer's or the timeout's own error, else a broken connection. */
    private static ArbiterException bodyFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ArbiterException a) return a;
            if (t instanceof RequestFramer.Malformed m) return new ArbiterException.BadRequest(m.getMessage(), null, "malformed_body");
        }
        return new ArbiterException.BadRequest("Could not read the request body: the connection broke", null, "malformed_body");
    }

    /** Marks the answer as the connection's last, for an error after which the rest of the input cannot be trusted. */
    private static ArbiterException closing(ServerResponse res, ArbiterException e) {
        res.header(HeaderNames.CONNECTION, "close");
        return e;
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /**
     * A 413 that the client gets to read. Closing a socket whose unread input still holds the client's body makes the
     * kernel send a reset, which discards the answer before a client still busy writing reads it (java.net.http then
     * reports "header parser received no bytes"). So the rest of the body is read and dropped first, as nginx's
     * lingering close does, up to {@link #DRAIN_LIMIT} bytes: a larger body is cut off and its client may see the reset.
     */
    private ArbiterException.PayloadTooLarge tooLarge(ServerResponse res, InputStream in) {
        try {
            long left = DRAIN_LIMIT;
            byte[] sink = new byte[16 * 1024];
            for (int n; left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) > 0; ) left -= n;
        } catch (IOException | RuntimeException e) {
            // the connection broke while its body was being dropped: it is closed anyway
        }
        res.header(HeaderNames.CONNECTION, "close");
        return tooLarge();
    }

    /** How much of an oversized body is read and dropped before its 413 (see {@link #tooLarge(ServerResponse, InputStream)}). */
    private static final long DRAIN_LIMIT = 16L * 1024 * 1024;

    private ArbiterException.PayloadTooLarge tooLarge() {
        return new ArbiterException.PayloadTooLarge("The request body is larger than the limit of " + server.maxBodyBytes() + " bytes");
    }

    /** Which models the caller sees in {@code /v1/models}: all of them until the gateway sets the keys' access. */
    public void modelAccess(ModelAccess access) {
        this.modelAccess = access;
    }

    private java.util.function.Predicate<String> visibleModels(ServerRequest req) {
        return modelAccess.visible(req.headers().first(HeaderNames.AUTHORIZATION), req.headers().first(API_KEY));
    }

    private void models(ServerRequest req, ServerResponse res) {
        java.util.function.Predicate<String> visible;
        try {
            visible = visibleModels(req);
        } catch (ArbiterException e) {
            error(req.headers().contains(HeaderNames.create("anthropic-version")) ? Surface.MESSAGES : Surface.CHAT, e, res, rid(res));
            return;
        }
        ObjectNode o = Json.object().put("object", "list");
        ArrayNode data = o.putArray("data");
        for (String id : registry.catalog().ids()) if (visible.test(id)) data.add(modelObject(id));
        o.put("has_more", false);
        InputItemsPage.firstAndLast(o, data);   // Anthropic's list names them
        res.header("content-type", "application/json");
        res.send(Json.bytes(o));
    }

    /** A model as both OpenAI's ({@code object}, {@code created}, {@code owned_by}) and Anthropic's model objects read. */
    private static ObjectNode modelObject(String id) {
        return Json.object().put("id", id).put("object", "model").put("created", 0).put("owned_by", "arbiter")
                .put("type", "model").put("display_name", id).put("created_at", "1970-01-01T00:00:00Z").put("lifecycle", "active");
    }

    /** One model, as {@code GET /v1/models/{id}} (OpenAI's and Anthropic's retrieve) answers it. */
    private void model(ServerRequest req, ServerResponse res) {
        String rid = rid(res);
        String path = req.path().path();
        String id = path.substring(path.indexOf("/models/") + "/models/".length());
        Surface surface = req.headers().contains(HeaderNames.create("anthropic-version")) ? Surface.MESSAGES : Surface.CHAT;
        try {
            if (!visibleModels(req).test(id)) {
                throw new ArbiterException.NotFound("The model '" + Untrusted.text(id) + "' does not exist or you do not have access to it.",
                        "model", "model_not_found");
            }
            if (!registry.catalog().listsVirtual(id)) registry.resolve(id);   // 404 unless served; the answer names the id asked for, as OpenAI's does
            res.header("content-type", "application/json");
            res.send(Json.bytes(modelObject(id)));
        } catch (ArbiterException e) {
            error(surface, e, res, rid);
        }
    }

    private void readyz(ServerRequest req, ServerResponse res) {
        boolean ok = ready && !draining.get();
        res.status(ok ? 200 : 503);
        res.header("content-type", "application/json");
        res.send(ok ? "{\"status\":\"ready\"}" : "{\"status\":\"" + (draining.get() ? "draining" : "starting") + "\"}");
    }

    /** One admin request: the admin key is checked, then the matching route answers with JSON. */
    private void admin(ServerRequest req, ServerResponse res) {
        String rid = rid(res);
        try {
            switch (adminAccess.check(req.headers().first(HeaderNames.AUTHORIZATION), req.headers().first(API_KEY))) {
                case ALLOWED -> { }
                case MISSING -> throw new ArbiterException.Unauthorized("The admin API needs the admin key (Authorization: Bearer <key> or x-api-key)");
                case DENIED -> throw new ArbiterException.Forbidden("This key may not use the admin API");
            }
            String path = req.path().path().substring("/admin/".length());
            String method = req.prologue().method().text();
            var match = admin.match(method, path);
            if (match.isEmpty()) {
                if (admin.pathExists(path)) throw new ArbiterException.MethodNotAllowed("Method " + method + " is not allowed on /admin/" + Untrusted.text(path, 200));
                throw new ArbiterException.NotFound("Unknown admin URL: " + method + " /admin/" + Untrusted.text(path, 200), null, "unknown_url");
            }
            JsonNode body = com.fasterxml.jackson.databind.node.NullNode.instance;
            boolean hasBody = req.headers().contentLength().orElse(0) > 0 || req.headers().contains(HeaderNames.TRANSFER_ENCODING);
            if (hasBody && (method.equals("POST") || method.equals("PUT"))) body = readBody(req, res);
            var query = new HashMap<String, String>();
            for (String name : req.query().names()) query.put(name, req.query().get(name));
            var status = new AdminRoute.Status();
            JsonNode answer = match.get().route().handler().handle(new AdminRoute.Call(Map.copyOf(match.get().params()), Map.copyOf(query), body, status));
            res.status(status.code());
            res.header("content-type", "application/json");
            res.send(Json.bytes(answer));
        } catch (ArbiterException e) {
            error(Surface.CHAT, e, res, rid);
        } catch (IllegalArgumentException e) {
            error(Surface.CHAT, new ArbiterException.BadRequest(Untrusted.text(String.valueOf(e.getMessage()), 500), null), res, rid);
        }
    }

    private void fallback(ServerRequest req, ServerResponse res) {
        String path = req.path().path();
        Method method = req.prologue().method();
        String rid = rid(res);
        Surface surface = path.startsWith("/v1/messages") ? Surface.MESSAGES : Surface.CHAT;
        ArbiterException e = KNOWN_PATHS.contains(path)
                ? new ArbiterException.MethodNotAllowed("Method " + method.text() + " is not allowed on " + path)
                : new ArbiterException.NotFound("Unknown request URL: " + method.text() + " " + path
                        + ". Please check the URL for typos.", null, "unknown_url");
        error(surface, e, res, rid);
    }
}
