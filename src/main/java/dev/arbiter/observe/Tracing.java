package dev.arbiter.observe;

import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Stage;
import dev.arbiter.pipeline.TraceContext;
import dev.arbiter.provider.Deployment;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
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
 * that fails, hangs or cannot connect never fails or slows a request. Spans lost either way are counted
 * ({@link Metrics#SPANS_DROPPED}): the SDK drops silently (its own count needs an OpenTelemetry metrics SDK), so this
 * class keeps the queue's bound itself. It counts the spans handed to the processor and not yet given to the
 * exporter, and drops a request's spans, all of them, when they would take that count past {@code queue-size}; so the
 * processor's queue, of the same size, is never the one that drops. The exporter is wrapped to count the spans of
 * each failed export. Without {@code observe.otlp} there is no instance
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
    /** Spans handed to the processor and not yet to the exporter (in its queue or in the batch it is filling). */
    private final AtomicInteger waiting = new AtomicInteger();
    private final LongAdder droppedQueueFull = new LongAdder();
    private final LongAdder droppedExportFailed = new LongAdder();

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
        this.processor = BatchSpanProcessor.builder(new Counted(exporter))
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
        return begin(exchange.headers());
    }

    private TraceContext begin(Map<String, String> headers) {
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

    /**
     * Gives a request the HTTP edge refused before the pipeline ran (body too large, not JSON, not a valid request, an
     * invalid header, the gateway draining) its span: one server span, child of the caller's {@code traceparent} when
     * it sent one, with the status and error it was answered, sampled like any request. Never throws.
     *
     * @param headers the request's forwarded headers (its trace context among them)
     */
    public void refused(String requestId, Map<String, String> headers, String method, String path, int status, String error,
                        long nanos) {
        try {
            TraceContext context = begin(headers);
            if (context.sampled()) queue(List.of(spans.refused(context, requestId, method, path, status, error, nanos)));
        } catch (RuntimeException e) {
            log.warn("request {}: its span could not be written: {}", requestId, e.toString());
        }
    }

    /** Writes a finished request's spans and queues them for export, or drops and counts them all when the queue is full; never throws. */
    void finish(Exchange exchange, RequestSpans.Ending ending) {
        try {
            queue(spans.of(exchange, ending));
        } catch (RuntimeException e) {
            log.warn("request {}: its spans could not be written: {}", exchange.requestId(), e.toString());
        }
    }

    /** Hands a request's spans to the processor, or drops and counts them all when that would pass the queue's bound. */
    private void queue(List<FinishedSpan> finished) {
        int n = finished.size();
        if (waiting.addAndGet(n) > config.queueSize()) {
            waiting.addAndGet(-n);
            droppedQueueFull.add(n);
            return;
        }
        for (FinishedSpan s : finished) processor.onEnd(s);
    }

    /** Spans dropped because more than {@code queue-size} were waiting for export. */
    public long droppedQueueFull() {
        return droppedQueueFull.sum();
    }

    /** Spans dropped with an export that failed or timed out. */
    public long droppedExportFailed() {
        return droppedExportFailed.sum();
    }

    /** Registers {@code arbiter_spans_dropped_total{reason=queue_full|export_failed}} in {@code registry}. */
    public void register(MeterRegistry registry) {
        FunctionCounter.builder(Metrics.SPANS_DROPPED, this, Tracing::droppedQueueFull).tag("reason", "queue_full")
                .description("Spans never exported").register(registry);
        FunctionCounter.builder(Metrics.SPANS_DROPPED, this, Tracing::droppedExportFailed).tag("reason", "export_failed")
                .description("Spans never exported").register(registry);
    }

    /** The exporter, counting what leaves the queue and what a failed export loses. */
    private final class Counted implements SpanExporter {
        private final SpanExporter exporter;

        Counted(SpanExporter exporter) {
            this.exporter = exporter;
        }

        @Override
        public CompletableResultCode export(Collection<SpanData> batch) {
            int n = batch.size();
            waiting.addAndGet(-n);
            CompletableResultCode result;
            try {
                result = exporter.export(batch);
            } catch (RuntimeException e) {
                droppedExportFailed.add(n);
                return CompletableResultCode.ofFailure();
            }
            result.whenComplete(() -> {
                if (!result.isSuccess()) droppedExportFailed.add(n);
            });
            return result;
        }

        @Override
        public CompletableResultCode flush() {
            return exporter.flush();
        }

        @Override
        public CompletableResultCode shutdown() {
            return exporter.shutdown();
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
