package dev.arbiter.observe;

import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Stage;
import dev.arbiter.pipeline.TraceContext;
import dev.arbiter.provider.Deployment;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenTelemetry tracing, when {@code observe.otlp} is set: the {@link #stage() trace stage} (outermost) gives each request
 * its W3C trace context, continuing the caller's {@code traceparent} when one came; when the answer is complete (a
 * stream's when it closes) the request's span, a span per stage run and a client span per upstream attempt are written
 * from its trace and queued for export over OTLP/HTTP.
 *
 * <p>Off the request path: the SDK's {@link BatchSpanProcessor} takes finished spans into a bounded queue (a full queue
 * drops them) and one background thread exports them in batches, each export bounded by {@code timeout}; an exporter
 * that fails, hangs or cannot connect never fails or slows a request. Without {@code observe.otlp} there is no instance
 * of this class, no trace stage and no SDK object: a request pays one null check per stage (see {@code Trace}).
 *
 * <p>Sampling: parent-based (a caller's sampled flag decides for its trace), else by trace id at {@code sample-ratio}
 * (the SDK's samplers). An unsampled request still gets ids, and its upstream calls carry them with the flag unset.
 */
public final class Tracing implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Tracing.class);
    private static final TextMapGetter<Map<String, String>> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };
    /** The W3C limit a vendor must pass on; a longer one is dropped rather than cut. */
    private static final int MAX_TRACESTATE = 512;

    private final OtlpConfig config;
    private final BatchSpanProcessor processor;
    private final Sampler sampler;
    private final RequestSpans spans;

    /** Tracing exported over OTLP/HTTP to {@code config}'s endpoint. */
    public static Tracing start(OtlpConfig config, Deployments deployments, InstantSource clock) {
        var b = OtlpHttpSpanExporter.builder()
                .setEndpoint(config.tracesUrl().toString())
                .setTimeout(config.timeout())
                .setConnectTimeout(config.timeout());
        config.headers().forEach((name, value) -> b.addHeader(name, value.reveal()));
        return new Tracing(config, b.build(), deployments, clock);
    }

    /** Tracing exported by {@code exporter} (any exporter; {@link #start} makes the OTLP one). */
    public Tracing(OtlpConfig config, SpanExporter exporter, Deployments deployments, InstantSource clock) {
        this.config = config;
        this.processor = BatchSpanProcessor.builder(exporter)
                .setMaxQueueSize(config.queueSize())
                .setMaxExportBatchSize(Math.min(512, config.queueSize()))
                .setScheduleDelay(config.exportInterval())
                .setExporterTimeout(config.timeout())
                .build();
        this.sampler = Sampler.parentBased(Sampler.traceIdRatioBased(config.sampleRatio()));
        String version = Tracing.class.getPackage().getImplementationVersion();
        this.spans = new RequestSpans(deployments, clock,
                Resource.getDefault().merge(Resource.create(Attributes.of(RequestSpans.SERVICE_NAME, config.serviceName()))),
                InstrumentationScopeInfo.builder("dev.arbiter").setVersion(version == null ? "dev" : version).build());
        warm();
    }

    /**
     * Loads the classes a request's context and spans use, so that the first traced request does not pay for it
     * (hundreds of milliseconds on a busy machine, measured); nothing is exported.
     */
    private void warm() {
        var headers = Map.of("traceparent", "00-" + TraceContext.newTraceId() + "-" + TraceContext.newSpanId() + "-01");
        Context parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), headers, HEADERS);
        SpanContext c = Span.fromContext(parent).getSpanContext();
        sampler.shouldSample(parent, c.getTraceId(), "request", SpanKind.SERVER, Attributes.empty(), List.of());
        new FinishedSpan("warm", SpanKind.INTERNAL, c, SpanContext.getInvalid(), io.opentelemetry.sdk.trace.data.StatusData.unset(),
                0, 0, Attributes.builder().put(RequestSpans.OPERATION, "chat").put(RequestSpans.INPUT_TOKENS, 1L).build(),
                List.of(io.opentelemetry.sdk.trace.data.EventData.create(0, "warm", Attributes.empty())), Resource.empty(),
                InstrumentationScopeInfo.create("warm")).toSpanData();
    }

    /** Finds a model's deployment by name (the registry's): attempt spans name its upstream model and address. */
    @FunctionalInterface
    public interface Deployments {
        java.util.Optional<Deployment> find(String model, String deployment);
    }

    /** The trace stage, to run outermost. */
    public Stage stage() {
        return new TraceStage(this);
    }

    /**
     * The request's span context: a child of the caller's {@code traceparent} when it is valid (with the caller's
     * {@code tracestate}), else the first span of a new trace; sampled as the sampler decides.
     */
    TraceContext begin(Exchange exchange) {
        Map<String, String> headers = exchange.headers();
        SpanContext caller = SpanContext.getInvalid();
        Context parent = Context.root();
        if (headers.containsKey("traceparent")) {
            parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), headers, HEADERS);
            caller = Span.fromContext(parent).getSpanContext();
        }
        String traceId = caller.isValid() ? caller.getTraceId() : TraceContext.newTraceId();
        boolean sampled = sampler.shouldSample(parent, traceId, "request", SpanKind.SERVER, Attributes.empty(), List.of())
                .getDecision() == SamplingDecision.RECORD_AND_SAMPLE;
        String state = caller.isValid() ? headers.get("tracestate") : null;
        if (state != null && (state.isBlank() || state.length() > MAX_TRACESTATE)) state = null;
        return new TraceContext(traceId, TraceContext.newSpanId(), caller.isValid() ? caller.getSpanId() : null, sampled, state);
    }

    /** Writes a finished request's spans and queues them for export; never throws. */
    void finish(Exchange exchange, RequestSpans.Ending ending) {
        try {
            for (FinishedSpan s : spans.of(exchange, ending)) processor.onEnd(s);
        } catch (RuntimeException e) {
            log.warn("request {}: its spans could not be written: {}", exchange.requestId(), e.toString());
        }
    }

    /** Exports the queued spans now; true when that finished within {@code timeout} (for tests and shutdown). */
    public boolean flush(Duration timeout) {
        return processor.forceFlush().join(timeout.toMillis(), TimeUnit.MILLISECONDS).isSuccess();
    }

    /** Exports what is queued, for at most the export timeout (bounded by 5 s), and stops the export thread. */
    @Override
    public void close() {
        long ms = Math.min(config.timeout().toMillis(), 5_000);
        if (!processor.shutdown().join(ms, TimeUnit.MILLISECONDS).isSuccess()) {
            log.warn("tracing: spans not exported within {} ms at shutdown were dropped", ms);
        }
    }
}
