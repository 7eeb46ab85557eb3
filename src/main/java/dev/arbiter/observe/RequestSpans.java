package dev.arbiter.observe;

import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Usage;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.ServedBy;
import dev.arbiter.pipeline.Trace;
import dev.arbiter.pipeline.TraceContext;
import dev.arbiter.provider.Deployment;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.net.URI;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes a finished request's spans from its trace: the request's (kind server, child of the caller's span when one
 * came), one per stage run (internal, nested as the stages ran) and one per upstream attempt (client, child of the stage
 * run it was made in), with the OpenTelemetry GenAI semantic-convention attributes
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/) and Arbiter's own ({@code arbiter.*}).
 *
 * <p>What never goes in a span: prompt or completion text, tool arguments, any key or header value. The caller's
 * model name is recorded as it asked ({@code gen_ai.request.model}): a span attribute, not a metric label, so its
 * values need no bound.
 *
 * <p>Times: the trace's clock readings (nanoTime), placed on the wall clock by one reading of each taken when the spans
 * are written.
 */
final class RequestSpans {
    static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
    static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
    static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("gen_ai.provider.name");
    /** The older name of {@code gen_ai.provider.name}, still read by many backends. */
    static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("gen_ai.system");
    static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    static final AttributeKey<String> RESPONSE_ID = AttributeKey.stringKey("gen_ai.response.id");
    static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    static final AttributeKey<Long> MAX_TOKENS = AttributeKey.longKey("gen_ai.request.max_tokens");
    static final AttributeKey<Double> TEMPERATURE = AttributeKey.doubleKey("gen_ai.request.temperature");
    static final AttributeKey<Double> TOP_P = AttributeKey.doubleKey("gen_ai.request.top_p");
    static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");

    private final Tracing.Deployments deployments;
    private final InstantSource clock;
    private final Resource resource;
    private final InstrumentationScopeInfo scope;

    RequestSpans(Tracing.Deployments deployments, InstantSource clock, Resource resource, InstrumentationScopeInfo scope) {
        this.deployments = deployments;
        this.clock = clock;
        this.resource = resource;
        this.scope = scope;
    }

    /**
     * How a request ended: the HTTP status the caller got, the error code (null on success), who served it (null when
     * no one did), the model and answer id the upstream named, the usage it reported, whether it streamed, and the
     * headers the reply carried (attempts, fallback, cost).
     */
    record Ending(int status, String error, ServedBy servedBy, String responseModel, String responseId, Usage usage,
                  boolean streamed, Map<String, String> headers) {
        static Ending failed(int status, String error, ServedBy servedBy) {
            return new Ending(status, error, servedBy, null, null, Usage.NONE, false, Map.of());
        }

        Ending asStreamed() {
            return new Ending(status, error, servedBy, responseModel, responseId, usage, true, headers);
        }
    }

    /** The request's spans: the request's first, then the stage runs, then the attempts. */
    List<FinishedSpan> of(Exchange exchange, Ending end) {
        Trace trace = exchange.trace();
        Optional<Trace.Spans> recorded = trace.spans();
        if (recorded.isEmpty()) return List.of();
        Trace.Spans spans = recorded.get();
        TraceContext ctx = spans.context();
        long nowTick = trace.clock().getAsLong();
        Instant now = clock.instant();
        long nowEpoch = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        Clock epoch = tick -> nowEpoch - (nowTick - (tick < 0 ? nowTick : tick));
        LlmRequest req = exchange.request();
        String operation = operation(req);
        var out = new ArrayList<FinishedSpan>(1 + spans.stages().size() + spans.attempts().size());

        // the request's span
        SpanContext requestContext = context(ctx.traceId(), ctx.spanId(), false);
        SpanContext caller = ctx.parentSpanId() == null ? SpanContext.getInvalid() : context(ctx.traceId(), ctx.parentSpanId(), true);
        ServedBy served = end.servedBy() != null ? end.servedBy() : trace.lastAttempt()
                .map(a -> new ServedBy(a.model(), a.deployment(), a.provider())).orElse(null);
        AttributesBuilder a = Attributes.builder()
                .put(OPERATION, operation)
                .put(AttributeKey.stringKey("arbiter.request_id"), exchange.requestId())
                .put(AttributeKey.stringKey("arbiter.api"), ObserveStage.api(req))
                .put(AttributeKey.booleanKey("arbiter.stream"), req.stream())
                .put(AttributeKey.stringKey("arbiter.caller"), trace.caller().orElse(exchange.caller()).id())
                .put(AttributeKey.longKey("arbiter.attempts"), (long) spans.attempts().size())
                .put(HTTP_STATUS, (long) end.status());
        if (req.model() != null) a.put(REQUEST_MODEL, req.model());
        requestParameters(a, req);
        if (served != null) {
            a.put(AttributeKey.stringKey("arbiter.model"), served.model());
            a.put(AttributeKey.stringKey("arbiter.deployment"), served.deployment());
            if (served.provider() != null) provider(a, served.provider());
        }
        if (end.responseModel() != null) a.put(RESPONSE_MODEL, end.responseModel());
        if (end.responseId() != null) a.put(RESPONSE_ID, end.responseId());
        usage(a, end.usage());
        trace.cache().ifPresent(c -> a.put(AttributeKey.stringKey("arbiter.cache"), c));
        header(a, end.headers(), "x-arbiter-fallback", "arbiter.fallback");
        header(a, end.headers(), "x-arbiter-hedge", "arbiter.hedge");
        String cost = end.headers().get("x-arbiter-cost-usd");
        if (cost != null) {
            try {
                a.put(AttributeKey.doubleKey("arbiter.cost_usd"), Double.parseDouble(cost));
            } catch (NumberFormatException ignored) {
                // not a number: left out
            }
        }
        trace.notes().forEach((name, value) -> a.put(AttributeKey.stringKey("arbiter." + name), value));
        if (end.error() != null) a.put(ERROR_TYPE, end.error());
        out.add(new FinishedSpan(req.model() == null ? operation : operation + " " + req.model(), SpanKind.SERVER,
                requestContext, caller, status(end.error()), epoch.of(trace.startNanos()), epoch.of(nowTick), a.build(), List.of(),
                resource, scope));

        // a span per stage run, nested as the stages ran
        List<Trace.StageSpan> stages = spans.stages();
        var stageContexts = new SpanContext[stages.size()];
        for (int i = 0; i < stages.size(); i++) {
            Trace.StageSpan s = stages.get(i);
            stageContexts[i] = context(ctx.traceId(), TraceContext.newSpanId(), false);
            SpanContext parent = s.parent() >= 0 && s.parent() < i ? stageContexts[s.parent()] : requestContext;
            out.add(new FinishedSpan(s.stage(), SpanKind.INTERNAL, stageContexts[i], parent, status(s.failed() ? "failed" : null),
                    epoch.of(s.startNanos()), epoch.of(s.endNanos()),
                    Attributes.of(AttributeKey.stringKey("arbiter.stage"), s.stage()), List.of(), resource, scope));
        }

        // a client span per upstream attempt
        String firstModel = spans.attempts().isEmpty() ? null : spans.attempts().getFirst().attempt().model();
        Trace.AttemptSpan answering = answering(spans.attempts(), served, end);
        for (Trace.AttemptSpan as : spans.attempts()) {
            Trace.AttemptRecord r = as.attempt();
            Optional<Deployment> d = deployments.find(r.model(), r.deployment());
            String upstreamModel = d.map(dep -> dep.upstreamModel(req.model() == null ? r.model() : req.model())).orElse(r.model());
            AttributesBuilder b = Attributes.builder()
                    .put(OPERATION, operation)
                    .put(AttributeKey.stringKey("arbiter.model"), r.model())
                    .put(AttributeKey.stringKey("arbiter.deployment"), r.deployment())
                    .put(AttributeKey.longKey("arbiter.attempt"), (long) r.number())
                    .put(AttributeKey.booleanKey("arbiter.fallback"), firstModel != null && !firstModel.equals(r.model()));
            if (upstreamModel != null) b.put(REQUEST_MODEL, upstreamModel);
            if (r.provider() != null) provider(b, r.provider());
            requestParameters(b, req);
            d.map(dep -> dep.config().baseUrl()).ifPresent(u -> server(b, u));
            if (as.responseModel() != null) b.put(RESPONSE_MODEL, as.responseModel());
            if (as == answering) usage(b, end.usage());
            if (r.endNanos() >= 0 && r.status() > 0) b.put(HTTP_STATUS, (long) r.status());
            if (r.error() != null) b.put(ERROR_TYPE, r.error());
            SpanContext parent = as.parentStage() >= 0 && as.parentStage() < stageContexts.length
                    ? stageContexts[as.parentStage()] : requestContext;
            List<EventData> events = r.firstByteNanos() >= 0
                    ? List.of(EventData.create(epoch.of(r.firstByteNanos()), "first_byte", Attributes.empty())) : List.of();
            out.add(new FinishedSpan(upstreamModel == null ? operation : operation + " " + upstreamModel, SpanKind.CLIENT,
                    context(as.context().traceId(), as.context().spanId(), false), parent, status(r.error()),
                    epoch.of(r.startNanos()), epoch.of(r.endNanos()), b.build(), events, resource, scope));
        }
        return out;
    }

    /**
     * The one span of a request refused before the pipeline ran: kind server, named {@code METHOD path} as HTTP server
     * spans are (no GenAI operation: the body was not, or not validly, read), ending now and lasting {@code nanos}.
     */
    FinishedSpan refused(TraceContext ctx, String requestId, String method, String path, int status, String error, long nanos) {
        Instant now = clock.instant();
        long end = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        SpanContext caller = ctx.parentSpanId() == null ? SpanContext.getInvalid() : context(ctx.traceId(), ctx.parentSpanId(), true);
        AttributesBuilder a = Attributes.builder()
                .put(AttributeKey.stringKey("arbiter.request_id"), requestId)
                .put(AttributeKey.stringKey("http.request.method"), method)
                .put(AttributeKey.stringKey("url.path"), path)
                .put(HTTP_STATUS, (long) status);
        if (error != null) a.put(ERROR_TYPE, error);
        return new FinishedSpan(method + " " + path, SpanKind.SERVER, context(ctx.traceId(), ctx.spanId(), false), caller, status(error),
                end - Math.max(0, nanos), end, a.build(), List.of(), resource, scope);
    }

    /** Converts a trace clock reading to epoch nanoseconds (-1, not reached yet, reads as now). */
    @FunctionalInterface
    private interface Clock {
        long of(long tick);
    }

    /** The attempt whose answer the caller got: the last that succeeded at the deployment that served. */
    private static Trace.AttemptSpan answering(List<Trace.AttemptSpan> attempts, ServedBy served, Ending end) {
        if (end.error() != null || served == null) return null;
        for (int i = attempts.size() - 1; i >= 0; i--) {
            Trace.AttemptRecord r = attempts.get(i).attempt();
            if (r.error() == null && served.deployment().equals(r.deployment())) return attempts.get(i);
        }
        return null;
    }

    private static SpanContext context(String traceId, String spanId, boolean remote) {
        return remote ? SpanContext.createFromRemoteParent(traceId, spanId, TraceFlags.getSampled(), TraceState.getDefault())
                : SpanContext.create(traceId, spanId, TraceFlags.getSampled(), TraceState.getDefault());
    }

    private static StatusData status(String error) {
        return error == null ? StatusData.unset() : StatusData.create(StatusCode.ERROR, error);
    }

    /** The GenAI operation name of a request's way in. */
    static String operation(LlmRequest req) {
        return switch (req.operation()) {
            case CHAT -> "chat";
            case COMPLETION -> "text_completion";
            case EMBEDDING -> "embeddings";
            case COUNT_TOKENS -> "count_tokens";
            case STORED_RESPONSE -> "retrieve_response";
        };
    }

    /** {@code gen_ai.provider.name} (and the older {@code gen_ai.system}) for a provider kind, in the conventions' words. */
    private static void provider(AttributesBuilder a, String provider) {
        String name = switch (provider) {
            case "azure" -> "azure.ai.openai";
            default -> provider;
        };
        a.put(PROVIDER, name);
        a.put(SYSTEM, name);
    }

    private static void requestParameters(AttributesBuilder a, LlmRequest req) {
        if (req.maxTokens() != null) a.put(MAX_TOKENS, req.maxTokens().longValue());
        if (req.temperature() != null) a.put(TEMPERATURE, req.temperature());
        if (req.topP() != null) a.put(TOP_P, req.topP());
    }

    private static void usage(AttributesBuilder a, Usage u) {
        if (u == null || u.inputTokens() <= 0 && u.outputTokens() <= 0) return;
        a.put(INPUT_TOKENS, u.inputTokens());
        a.put(OUTPUT_TOKENS, u.outputTokens());
    }

    private static void server(AttributesBuilder a, URI u) {
        if (u.getHost() == null) return;
        a.put(SERVER_ADDRESS, u.getHost());
        int port = u.getPort() > 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80;
        a.put(SERVER_PORT, (long) port);
    }

    private static void header(AttributesBuilder a, Map<String, String> headers, String header, String attribute) {
        String v = headers.get(header);
        if (v != null) a.put(AttributeKey.stringKey(attribute), v);
    }
}
