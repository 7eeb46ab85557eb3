package dev.arbiter.analyze;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.admin.AdminRoute;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.observe.Metrics;
import dev.arbiter.observe.Outcome;
import dev.arbiter.observe.OutcomeSink;
import dev.arbiter.pipeline.Trace;
import dev.arbiter.provider.Deployment;
import dev.arbiter.wire.Json;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches every deployment for drift and anomalies and tells routing which are degraded. As an {@link OutcomeSink}
 * it only offers each outcome to a bounded queue (full: dropped and counted, never waited for); one thread of its own
 * reads the queue every 100 ms, feeds each attempt to its deployment's {@link DeploymentWatch}, and once a second evaluates the
 * threshold rules. A detection is logged (logger {@code arbiter.detections}), counted
 * ({@code arbiter_detections_total{deployment,detector}}), kept in a list of the last 1,000 events
 * ({@code GET /admin/detections}) and sent to the webhooks. {@link #weightFactor} is what routing reads: the
 * configured {@code degraded-weight} for a degraded deployment, else 1.
 */
public final class Analyzer implements OutcomeSink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("arbiter.detections");
    private static final int KEPT = 1000;
    private static final long BATCH_MILLIS = 100;
    private static final List<String> DETECTORS = List.of("adwin", "page-hinkley", "cusum", "z-score", "iqr", "p95-latency",
            "error-rate", "spend-rate");

    private final AnalyzerConfig config;
    private final MeterRegistry registry;
    private final InstantSource clock;
    private final ArrayBlockingQueue<Object> queue = new ArrayBlockingQueue<>(10_000);
    private final AtomicLong dropped = new AtomicLong();
    /** model -> deployment -> watch; written by the analyzer thread, read by routing and the admin API. */
    private final Map<String, Map<String, DeploymentWatch>> watches = new ConcurrentHashMap<>();
    private final ArrayDeque<Detection> recent = new ArrayDeque<>();
    private final Webhooks webhooks;
    private long ids;
    private volatile int degradedCount;
    private Thread thread;
    private volatile boolean closed;

    private record Feedback(String model, String deployment, double score) {}

    public Analyzer(AnalyzerConfig config, MeterRegistry registry, InstantSource clock) {
        this.config = config;
        this.registry = registry;
        this.clock = clock;
        this.webhooks = new Webhooks(config.webhooks());
        FunctionCounter.builder(Metrics.ANALYZER_DROPPED, dropped, AtomicLong::get)
                .description("Outcomes the analyzer dropped: its queue was full").register(registry);
        FunctionCounter.builder(Metrics.DETECTION_WEBHOOK_DROPPED, webhooks, Webhooks::dropped)
                .description("Detections not sent to webhooks: their queue was full").register(registry);
    }

    /** Starts the analyzer's thread. */
    public Analyzer start() {
        thread = Thread.ofPlatform().daemon().name("arbiter-analyzer").start(this::run);
        return this;
    }

    @Override
    public void record(Outcome o) {
        if (!queue.offer(o)) dropped.incrementAndGet();
    }

    /** Quality feedback (a score in [0, 1]) on an answer of a deployment: the hook the decision engine feeds. */
    public void feedback(String model, String deployment, double score) {
        if (!queue.offer(new Feedback(model, deployment, Math.clamp(score, 0, 1)))) dropped.incrementAndGet();
    }

    /** The factor routing multiplies a deployment's weight by: {@code degraded-weight} while it is degraded, else 1. */
    public double weightFactor(Deployment d) {
        if (degradedCount == 0) return 1;
        var byDeployment = watches.get(d.model());
        DeploymentWatch w = byDeployment == null ? null : byDeployment.get(d.name());
        return w != null && w.degraded ? config.degradedWeight() : 1;
    }

    /** Whether a deployment of a model is degraded now. */
    public boolean degraded(String model, String deployment) {
        var byDeployment = watches.get(model);
        DeploymentWatch w = byDeployment == null ? null : byDeployment.get(deployment);
        return w != null && w.degraded;
    }

    /**
     * Reads the queue in batches, every {@link #BATCH_MILLIS}: waiting on the queue instead woke this thread for
     * nearly every request (0.9 wake-ups and 26-38 µs of CPU per request at 200 requests/s, bench/run.sh --threads),
     * and a drift detector gains nothing from seeing an outcome 100 ms sooner.
     */
    private void run() {
        long lastTick = clock.millis();
        var batch = new ArrayList<Object>();
        while (!closed) {
            try {
                Thread.sleep(BATCH_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            queue.drainTo(batch);
            for (Object next : batch) {
                try {
                    process(next);
                } catch (RuntimeException e) {
                    log.warn("analyzer: {}", e.toString());
                }
            }
            batch.clear();
            long now = clock.millis();
            if (now - lastTick >= 1000) {
                lastTick = now;
                try {
                    tick();
                } catch (RuntimeException e) {
                    log.warn("analyzer: {}", e.toString());
                }
            }
        }
    }

    /** Takes one queued item in (the analyzer's thread; tests call it directly with a fake clock). */
    void process(Object item) {
        long now = clock.millis();
        switch (item) {
            case Outcome o -> {
                for (Trace.AttemptRecord a : o.trace().attempts()) {
                    if (a.endNanos() < 0 || a.model() == null || a.deployment() == null) continue;
                    watch(a.model(), a.deployment()).attempt(now, (a.endNanos() - a.startNanos()) / 1e9, !a.succeeded());
                }
                if (o.status() == 200 && o.model() != null && o.deployment() != null && !o.trace().attempts().isEmpty()) {
                    long generating = o.latencyNanos() - Math.max(0, o.ttftNanos());
                    double tps = generating > 0 ? o.usage().outputTokens() / (generating / 1e9) : Double.NaN;
                    watch(o.model(), o.deployment()).answered(now, tps, o.costUsd());
                }
            }
            case Feedback f -> watch(f.model, f.deployment).quality(f.score);
            default -> throw new IllegalArgumentException("analyzer item: " + item.getClass());
        }
    }

    /** Evaluates the threshold rules of every deployment. */
    void tick() {
        if (config.rules().isEmpty()) return;
        long now = clock.millis();
        for (var byDeployment : watches.values()) for (DeploymentWatch w : byDeployment.values()) w.rules(now, config.rules());
    }

    private DeploymentWatch watch(String model, String deployment) {
        return watches.computeIfAbsent(model, m -> new ConcurrentHashMap<>()).computeIfAbsent(deployment, d -> {
            var w = new DeploymentWatch(model, deployment, config, this::emit);
            Gauge.builder(Metrics.DEPLOYMENT_DEGRADED, w, x -> x.degraded ? 1 : 0)
                    .description("1 while the analyzer judges a deployment degraded (routing down-weights it)")
                    .tags("model", model, "deployment", deployment).strongReference(true).register(registry);
            // every detector's count is there from the first request, at 0, for dashboards and increase()
            for (String detector : DETECTORS) detections(deployment, detector);
            return w;
        });
    }

    private void emit(DeploymentWatch w, String kind, String detector, String metric, double value, double baseline) {
        boolean was = degradedCount > 0;
        int count = 0;
        for (var byDeployment : watches.values()) for (DeploymentWatch x : byDeployment.values()) if (x.degraded) count++;
        degradedCount = count;
        var d = new Detection(++ids, clock.instant(), w.model, w.deployment, kind, detector, metric, value, baseline, w.degraded);
        if (!"recovered".equals(kind)) detections(w.deployment, detector).increment();
        log.warn("{} {} model={} deployment={} metric={} value={} baseline={} degraded={}{}", kind, detector, w.model,
                w.deployment, metric, d.json().get("value"), d.json().get("baseline"), w.degraded,
                was && count == 0 ? " (no deployment degraded now)" : "");
        synchronized (recent) {
            recent.addFirst(d);
            if (recent.size() > KEPT) recent.removeLast();
        }
        webhooks.send(Json.string(d.json()));
    }

    private Counter detections(String deployment, String detector) {
        return Counter.builder(Metrics.DETECTIONS).description("Drifts, anomalies and threshold rules the analyzer found")
                .tags("deployment", deployment, "detector", detector).register(registry);
    }

    /** The last events, newest first. */
    public List<Detection> detections() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }

    /** {@code GET /admin/detections} ({@code ?deployment=&model=&limit=}) and {@code GET /admin/analyzer}. */
    public List<AdminRoute> adminRoutes() {
        return List.of(
                AdminRoute.get("detections", call -> {
                    int limit = limit(call.query("limit").orElse("100"));
                    var out = Json.array();
                    for (Detection d : detections()) {
                        if (out.size() == limit) break;
                        if (call.query("deployment").filter(x -> !x.equals(d.deployment())).isPresent()) continue;
                        if (call.query("model").filter(x -> !x.equals(d.model())).isPresent()) continue;
                        out.add(d.json());
                    }
                    return Json.object().set("detections", out);
                }),
                AdminRoute.get("analyzer", call -> state()));
    }

    private static int limit(String s) {
        try {
            int n = Integer.parseInt(s);
            if (n >= 1 && n <= KEPT) return n;
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new ArbiterException.BadRequest("limit: expected 1.." + KEPT, "limit");
    }

    /** Every watched deployment: statistics, window, whether degraded and why. */
    public ObjectNode state() {
        ObjectNode out = Json.object();
        out.put("enabled", config.enabled()).put("degraded_weight", config.degradedWeight()).put("dropped", dropped.get());
        var list = out.putArray("deployments");
        long now = clock.millis();
        var all = new ArrayList<DeploymentWatch>();
        watches.values().forEach(m -> all.addAll(m.values()));
        all.sort(java.util.Comparator.comparing((DeploymentWatch w) -> w.model).thenComparing(w -> w.deployment));
        // each watch answers under its own lock, so this thread never reads one halfway through an update
        for (DeploymentWatch w : all) list.add(w.json(now));
        return out;
    }

    @Override
    public void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        webhooks.close();
    }
}
