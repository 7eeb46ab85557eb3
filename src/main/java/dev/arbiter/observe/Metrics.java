package dev.arbiter.observe;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.management.ThreadMXBean;
import dev.arbiter.pipeline.Trace;
import dev.arbiter.wire.Json;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * The gateway's one metrics registry (Micrometer, scraped as Prometheus text at {@code GET /metrics}) and the place
 * where every Arbiter metric is named. As an {@link OutcomeSink} it turns each request's outcome and trace into:
 *
 * <ul>
 *   <li>{@code arbiter_requests_total} {model, deployment, provider, api, status, stream, cache}</li>
 *   <li>{@code arbiter_request_duration_seconds} (histogram) {model, api, stream}</li>
 *   <li>{@code arbiter_time_to_first_token_seconds} (histogram, streams) {model, api}</li>
 *   <li>{@code arbiter_upstream_duration_seconds} (histogram, one per attempt) {deployment, provider, outcome}</li>
 *   <li>{@code arbiter_tokens_total} {model, direction: input | output}, {@code arbiter_cost_usd_total} {model}</li>
 *   <li>{@code arbiter_shed_total} {reason}: requests refused for capacity (503 overloaded)</li>
 *   <li>{@code arbiter_stage_duration_seconds} (histogram) {stage}: each stage's own time</li>
 * </ul>
 * and gauges registered by the wiring ({@code arbiter_in_flight}). Label values are bounded: a model name that is not
 * configured is {@code unknown}, never the caller's string; deployments and providers come from the config.
 * Recording never fails a request: the observe stage catches a sink's exceptions.
 */
public final class Metrics implements OutcomeSink {
    private static final Duration[] LATENCY_SLOS = {Duration.ofMillis(5), Duration.ofMillis(25), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
            Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120)};

    /** The percentiles kept per series (a decaying window, Micrometer's HdrHistogram-based estimate), for the admin view. */
    private static final double[] PERCENTILES = {0.5, 0.95, 0.99};

    /*
     * Names of the metric families other parts register, in Micrometer's dotted form (Prometheus: dots become
     * underscores, counters end in _total). deploy/grafana and deploy/prometheus query these names; a feature that
     * registers one of them takes its name from here.
     */
    /** {@code arbiter_queue_depth}: requests waiting for an in-flight slot (gauge). */
    public static final String QUEUE_DEPTH = "arbiter.queue.depth";
    /** {@code arbiter_detections_total{deployment,detector}}: the analyzer's detections. */
    public static final String DETECTIONS = "arbiter.detections";
    /** {@code arbiter_deployment_degraded{model,deployment}}: 1 while the analyzer has a deployment down-weighted. */
    public static final String DEPLOYMENT_DEGRADED = "arbiter.deployment.degraded";
    /** {@code arbiter_analyzer_dropped_total}: outcomes the analyzer's full queue dropped. */
    public static final String ANALYZER_DROPPED = "arbiter.analyzer.dropped";
    /** {@code arbiter_detection_webhook_dropped_total}: detections the webhooks' full queue dropped. */
    public static final String DETECTION_WEBHOOK_DROPPED = "arbiter.detection.webhook.dropped";
    /** {@code arbiter_breaker_state{model,deployment,state}}: 1 for each breaker's current state (closed, open, half_open). */
    public static final String BREAKER_STATE = "arbiter.breaker.state";
    /** {@code arbiter_limit_rejections_total{limit}}: requests refused by a rate or quota limit. */
    public static final String LIMIT_REJECTIONS = "arbiter.limit.rejections";
    /** {@code arbiter_budget_used_ratio{budget}}: the share of a budget spent in its period (1 = exhausted). */
    public static final String BUDGET_USED_RATIO = "arbiter.budget.used.ratio";
    /** {@code arbiter_retries_total}, {@code arbiter_fallbacks_total}, {@code arbiter_hedges_total}: extra attempts by kind. */
    public static final String RETRIES = "arbiter.retries";
    public static final String FALLBACKS = "arbiter.fallbacks";
    public static final String HEDGES = "arbiter.hedges";
    /** {@code arbiter_deduplicated_total}: requests answered by joining an identical one in flight. */
    public static final String DEDUPLICATED = "arbiter.deduplicated";
    /** {@code arbiter_cache_savings_usd_total}: what cache hits would have cost upstream. */
    public static final String CACHE_SAVINGS = "arbiter.cache.savings.usd";
    /**
     * {@code arbiter_spans_dropped_total{reason}}: finished spans never exported, {@code queue_full} (more were waiting
     * than {@code otlp.queue-size}) or {@code export_failed} (the exporter failed or timed out with them).
     */
    public static final String SPANS_DROPPED = "arbiter.spans.dropped";
    /**
     * {@code arbiter_jvm_allocated_bytes_total}: heap bytes allocated by every thread of this JVM since it started
     * (bench/run.sh reads it before and after a run to report each gateway's bytes per request).
     */
    public static final String JVM_ALLOCATED = "arbiter.jvm.allocated";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Set<String> models;

    /** @param models the configured logical model names: the only model label values besides {@code unknown} */
    public Metrics(Set<String> models) {
        this.models = Set.copyOf(models);
        shed();   // present from the start, at 0, so dashboards and alerts see the family before the first shed
        allocated();
    }

    /**
     * Exact and cumulative, unlike a count derived from the young generation's use at each collection (Micrometer's
     * {@code jvm.gc.memory.allocated}, off by up to a young generation per reading); read only when scraped.
     */
    private void allocated() {
        if (!(ManagementFactory.getThreadMXBean() instanceof ThreadMXBean threads)
                || !threads.isThreadAllocatedMemorySupported() || !threads.isThreadAllocatedMemoryEnabled()) {
            return;
        }
        FunctionCounter.builder(JVM_ALLOCATED, threads, ThreadMXBean::getTotalThreadAllocatedBytes)
                .baseUnit("bytes").description("Heap bytes allocated by every thread of this JVM").register(registry);
    }

    private Counter shed() {
        return Counter.builder("arbiter.shed").description("Requests refused for capacity").tags("reason", "overloaded")
                .register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The registry in Prometheus' text format. */
    public String scrape() {
        return registry.scrape();
    }

    /** Registers {@code arbiter_in_flight}: requests being handled right now. */
    public void inFlight(IntSupplier value) {
        Gauge.builder("arbiter.in.flight", value, v -> v.getAsInt()).description("Requests being handled")
                .strongReference(true).register(registry);   // a weakly held supplier would read NaN once collected
    }

    /** Registers {@code arbiter_queue_depth}: requests waiting for an in-flight slot. */
    public void queueDepth(IntSupplier value) {
        Gauge.builder(QUEUE_DEPTH, value, v -> v.getAsInt()).description("Requests waiting for an in-flight slot")
                .strongReference(true).register(registry);
    }

    private String model(String name) {
        return name != null && models.contains(name) ? name : "unknown";
    }

    private static String orNone(String v) {
        return v == null ? "none" : v;
    }

    /** The labels of one request series; its meters are looked up once and kept (Micrometer's own lookup sorts and hashes tags). */
    private record Series(String model, String deployment, String provider, String api, String status, String stream, String cache) {}

    /** The meters of one request series. */
    private record SeriesMeters(Counter requests, Timer duration, Timer ttft, Counter inputTokens, Counter outputTokens, Counter cost) {}

    private record Attempt(String deployment, String provider, boolean success) {}

    private final Map<Series, SeriesMeters> series = new ConcurrentHashMap<>();
    private final Map<Attempt, Timer> attempts = new ConcurrentHashMap<>();
    private final Map<String, DistributionSummary> stages = new ConcurrentHashMap<>();

    private SeriesMeters meters(Series k) {
        return series.computeIfAbsent(k, s -> new SeriesMeters(
                Counter.builder("arbiter.requests").description("Requests answered")
                        .tags("model", s.model, "deployment", s.deployment, "provider", s.provider, "api", s.api,
                                "status", s.status, "stream", s.stream, "cache", s.cache)
                        .register(registry),
                Timer.builder("arbiter.request.duration").description("Whole request, to the end of the answer")
                        .serviceLevelObjectives(LATENCY_SLOS).publishPercentiles(PERCENTILES)
                        .tags("model", s.model, "api", s.api, "stream", s.stream).register(registry),
                Timer.builder("arbiter.time.to.first.token").description("Time to a stream's first token")
                        .serviceLevelObjectives(LATENCY_SLOS).tags("model", s.model, "api", s.api).register(registry),
                Counter.builder("arbiter.tokens").tags("model", s.model, "direction", "input").register(registry),
                Counter.builder("arbiter.tokens").tags("model", s.model, "direction", "output").register(registry),
                Counter.builder("arbiter.cost.usd").tags("model", s.model).register(registry)));
    }

    @Override
    public void record(Outcome o) {
        Trace trace = o.trace();
        var m = meters(new Series(model(o.model() != null ? o.model() : o.requestedModel()), orNone(o.deployment()),
                orNone(o.provider()), o.api(), statusLabel(o.status()), Boolean.toString(o.streamed()), trace.cache().orElse("none")));
        m.requests().increment();
        m.duration().record(o.latencyNanos(), TimeUnit.NANOSECONDS);
        if (o.ttftNanos() >= 0) m.ttft().record(o.ttftNanos(), TimeUnit.NANOSECONDS);
        if (o.usage().inputTokens() > 0) m.inputTokens().increment(o.usage().inputTokens());
        if (o.usage().outputTokens() > 0) m.outputTokens().increment(o.usage().outputTokens());
        if (o.costUsd() > 0) m.cost().increment(o.costUsd());
        for (Trace.AttemptRecord a : trace.attempts()) {
            if (a.endNanos() < 0) continue;
            attempts.computeIfAbsent(new Attempt(a.deployment(), a.provider(), a.succeeded()), k ->
                    Timer.builder("arbiter.upstream.duration").description("One upstream attempt, start to end")
                            .serviceLevelObjectives(LATENCY_SLOS).publishPercentiles(PERCENTILES)
                            .tags("deployment", k.deployment, "provider", k.provider, "outcome", k.success ? "success" : "failure")
                            .register(registry)).record(a.endNanos() - a.startNanos(), TimeUnit.NANOSECONDS);
        }
        if (o.status() == 503 && "overloaded".equals(o.error())) shed().increment();
        trace.forEachStageTime((stage, nanos) -> stages.computeIfAbsent(stage, n -> DistributionSummary.builder("arbiter.stage.duration")
                .baseUnit("seconds").description("Each stage's own time").tags("stage", n).register(registry)).record(nanos / 1e9));
    }

    /**
     * A request the HTTP edge refused before it reached the pipeline (body too large, empty or not JSON, a bad timeout
     * header, shutting down): counted in {@code arbiter_requests_total} with model {@code unknown} and no deployment,
     * its way in told by its path (a fixed set of values), and as shed when it was refused for overload.
     */
    public void refused(String path, int status, String error) {
        meters(new Series("unknown", "none", "none", apiOfPath(path), statusLabel(status), "false", "none")).requests().increment();
        if (status == 503 && "overloaded".equals(error)) shed().increment();
    }

    private static String apiOfPath(String path) {
        String p = path == null ? "" : path;
        if (p.endsWith("/count_tokens")) return "count_tokens";
        if (p.endsWith("/chat/completions")) return "chat";
        if (p.endsWith("/messages")) return "messages";
        if (p.endsWith("/completions")) return "completions";
        if (p.endsWith("/embeddings")) return "embeddings";
        if (p.contains("/responses")) return "responses";
        return "other";
    }

    /** HTTP statuses as label values, made once: equal labels are then the same string, which the series lookup compares first. */
    private static final String[] STATUS_LABELS = java.util.stream.IntStream.range(0, 600).mapToObj(Integer::toString).toArray(String[]::new);

    private static String statusLabel(int status) {
        return status >= 0 && status < STATUS_LABELS.length ? STATUS_LABELS[status] : Integer.toString(status);
    }

    /**
     * Latency percentiles (p50, p95, p99, in milliseconds, over Micrometer's recent window) and counts: of whole requests
     * by logical model, and of upstream attempts by deployment, as {@code GET /admin/latency} shows them.
     */
    public ObjectNode latency() {
        ObjectNode out = Json.object();
        ObjectNode byModel = out.putObject("models");
        for (Timer t : registry.find("arbiter.request.duration").timers()) {
            addPercentiles(byModel.withObjectProperty(t.getId().getTag("model")).withArray("series").addObject()
                    .put("api", t.getId().getTag("api")).put("stream", Boolean.parseBoolean(t.getId().getTag("stream"))), t);
        }
        ObjectNode byDeployment = out.putObject("deployments");
        for (Timer t : registry.find("arbiter.upstream.duration").timers()) {
            addPercentiles(byDeployment.withObjectProperty(t.getId().getTag("deployment")).putObject(t.getId().getTag("outcome")), t);
        }
        return out;
    }

    private static void addPercentiles(ObjectNode to, Timer t) {
        var snapshot = t.takeSnapshot();
        to.put("count", snapshot.count());
        for (var p : snapshot.percentileValues()) {
            to.put("p" + Math.round(p.percentile() * 100), Math.round(p.value(TimeUnit.MICROSECONDS)) / 1000.0);
        }
    }
}
