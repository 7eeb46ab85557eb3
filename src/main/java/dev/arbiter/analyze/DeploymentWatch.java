package dev.arbiter.analyze;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.wire.Json;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One deployment as the analyzer sees it: streaming statistics (latency, error rate, tokens per second, cost per
 * request, quality), the detectors over its latency and errors, the rolling window its threshold rules read, and
 * whether it is degraded and why.
 *
 * <p>Design: a detector's signal says the stream changed, not that the change matters. The first {@code warmup}
 * values make the baseline (then it follows healthy traffic slowly); a signal arms a check for the next
 * {@link #ARMED} values, and the deployment is degraded only once the recent mean (an exponentially weighted average
 * of about the last 20 values) is, {@link #CONFIRM} values in a row, above the baseline by both {@code min-latency-increase} and {@code min-relative-increase} (errors: by
 * {@code min-error-increase}). It recovers once the recent mean is back within half that margin, no sooner than
 * {@code recover-after}. Anomalies (z-score, IQR) are reported under the same margin and never degrade. Touched by
 * the analyzer's thread alone, except {@link #degraded}, which routing reads.
 */
final class DeploymentWatch {
    /** Values after a detector's signal during which the recent mean may confirm it. */
    static final int ARMED = 50;
    private static final double RECENT = 0.1;
    /** Values in a row the recent mean must stay beyond the margin before a signal is confirmed. */
    private static final int CONFIRM = 3;
    private static final double RECENT_ERRORS = 0.1;
    private static final double BASELINE_FOLLOW = 0.005;
    private static final String SPEND_REASON = "rule:" + AnalyzerConfig.Metric.SPEND_RATE.label;

    /** What the watch reports to the analyzer. */
    interface Events {
        void emit(DeploymentWatch w, String kind, String detector, String metric, double value, double baseline);
    }

    final String model;
    final String deployment;
    private final AnalyzerConfig config;
    private final Events events;

    private long attempts;
    private long failures;
    private long warm;
    private long warmLatency;
    private double baselineLatency;
    private double baselineErrors;
    private double recentLatency = Double.NaN;
    private double recentErrors;
    private double tokensPerSecond = Double.NaN;
    private double costPerRequest = Double.NaN;
    private double quality = Double.NaN;
    private long qualityCount;

    private final Adwin latencyAdwin = new Adwin();
    private final PageHinkley latencyPh = new PageHinkley(0.1, 50, 30);
    private final Cusum latencyCusum;
    private final ZScore latencyZ = new ZScore(200, 4, 30);
    private final Iqr latencyIqr = new Iqr(200, 3, 30);
    private final Adwin errorAdwin = new Adwin();
    private final RollingWindow window;

    private String latencySignal;
    private int latencyArmed;
    private int latencyAbove;
    private String errorSignal;
    private int errorArmed;
    /** Why it is degraded (latency, errors, a rule's name), with the detector that found it and when. */
    private final Map<String, Since> reasons = new LinkedHashMap<>();
    private final Map<AnalyzerConfig.Rule, Long> ruleTrue = new HashMap<>();
    private final Map<String, Long> lastAnomaly = new HashMap<>();
    volatile boolean degraded;

    private record Since(String detector, long millis, long attempt) {}

    DeploymentWatch(String model, String deployment, AnalyzerConfig config, Events events) {
        this.model = model;
        this.deployment = deployment;
        this.config = config;
        this.events = events;
        this.latencyCusum = new Cusum(config.warmup(), 0.5, 5);
        this.window = new RollingWindow(config.window().toMillis());
    }

    private double latencyMargin() {
        return Math.max(config.minLatencyIncrease().toNanos() / 1e9, baselineLatency * config.minRelativeIncrease());
    }

    /** One upstream attempt: its latency in seconds and whether it failed. */
    synchronized void attempt(long now, double seconds, boolean failed) {
        attempts++;
        if (failed) failures++;
        window.attempt(now, seconds, failed);
        boolean warming = warm < config.warmup();
        if (warming) {
            warm++;
            baselineErrors += ((failed ? 1 : 0) - baselineErrors) / warm;
            if (!failed) baselineLatency += (seconds - baselineLatency) / ++warmLatency;
        }
        recentErrors += RECENT_ERRORS * ((failed ? 1 : 0) - recentErrors);
        if (errorAdwin.add(failed ? 1 : 0) && !warming) {
            errorSignal = "adwin";
            errorArmed = ARMED;
        }
        if (!failed) latency(now, seconds, warming);
        if (warming) return;
        if (errorArmed > 0) {
            errorArmed--;
            if (!reasons.containsKey("errors") && recentErrors - baselineErrors > config.minErrorIncrease()) {
                degrade(now, "errors", errorSignal, "error-rate", recentErrors, baselineErrors);
            }
        }
        if (reasons.containsKey("errors") && recoverable(now, "errors")
                && recentErrors - baselineErrors < config.minErrorIncrease() / 2) {
            recover(now, "errors", "error-rate", recentErrors, baselineErrors);
            errorAdwin.reset();
        }
        if (!reasons.containsKey("errors")) baselineErrors += BASELINE_FOLLOW * ((failed ? 1 : 0) - baselineErrors);
    }

    private void latency(long now, double x, boolean warming) {
        recentLatency = Double.isNaN(recentLatency) ? x : recentLatency + RECENT * (x - recentLatency);
        String signal = null;
        if (latencyAdwin.add(x)) signal = "adwin";
        // Page-Hinkley reads latency relative to the baseline, so its delta and lambda hold at any scale
        if (latencyPh.add(baselineLatency > 0 ? x / baselineLatency : 0) && signal == null) signal = "page-hinkley";
        if (latencyCusum.add(x) && signal == null) signal = "cusum";
        boolean z = latencyZ.add(x);
        boolean iqr = latencyIqr.add(x);
        if (warming) return;
        double margin = latencyMargin();
        if (signal != null) {
            latencySignal = signal;
            latencyArmed = ARMED;
        }
        latencyAbove = recentLatency - baselineLatency > margin ? latencyAbove + 1 : 0;
        if (latencyArmed > 0) {
            latencyArmed--;
            if (!reasons.containsKey("latency") && latencyAbove >= CONFIRM) {
                degrade(now, "latency", latencySignal, "latency", recentLatency, baselineLatency);
            }
        }
        if ((z || iqr) && x - baselineLatency > margin) anomaly(now, z ? "z-score" : "iqr", x);
        if (reasons.containsKey("latency") && recoverable(now, "latency") && recentLatency - baselineLatency < margin / 2) {
            recover(now, "latency", "latency", recentLatency, baselineLatency);
            latencyAdwin.reset();
            latencyPh.reset();
            latencyCusum.reset();
        }
        if (!reasons.containsKey("latency")) baselineLatency += BASELINE_FOLLOW * (x - baselineLatency);
    }

    private void anomaly(long now, String detector, double x) {
        Long last = lastAnomaly.get(detector);
        if (last != null && now - last < config.cooldown().toMillis()) return;
        lastAnomaly.put(detector, now);
        events.emit(this, "anomaly", detector, "latency", x, baselineLatency);
    }

    private boolean recoverable(long now, String reason) {
        Since s = reasons.get(reason);
        return now - s.millis >= config.recoverAfter().toMillis() && attempts - s.attempt >= 5;
    }

    private void degrade(long now, String reason, String detector, String metric, double value, double baseline) {
        reasons.put(reason, new Since(detector, now, attempts));
        updateDegraded();
        events.emit(this, reason.startsWith("rule:") ? "threshold" : "drift", detector, metric, value, baseline);
    }

    private void recover(long now, String reason, String metric, double value, double baseline) {
        Since s = reasons.remove(reason);
        updateDegraded();
        events.emit(this, "recovered", s.detector, metric, value, baseline);
    }

    /** A request this deployment answered: output tokens per second and its cost. */
    synchronized void answered(long now, double tokensPerSecond, double costUsd) {
        if (Double.isFinite(tokensPerSecond) && tokensPerSecond > 0) {
            this.tokensPerSecond = Double.isNaN(this.tokensPerSecond) ? tokensPerSecond
                    : this.tokensPerSecond + RECENT * (tokensPerSecond - this.tokensPerSecond);
        }
        costPerRequest = Double.isNaN(costPerRequest) ? costUsd : costPerRequest + RECENT * (costUsd - costPerRequest);
        window.cost(now, costUsd);
    }

    /**
     * Quality feedback on an answer of this deployment (a score in [0, 1]): kept as a streaming mean for now; the
     * decision engine's feedback arrives here.
     */
    synchronized void quality(double score) {
        qualityCount++;
        quality = Double.isNaN(quality) ? score : quality + RECENT * (score - quality);
    }

    /** Evaluates the threshold rules over the window; a rule holds once its condition held for its {@code for}. */
    synchronized void rules(long now, List<AnalyzerConfig.Rule> rules) {
        long n = window.attempts(now);
        for (AnalyzerConfig.Rule rule : rules) {
            double value = switch (rule.metric()) {
                case P95_LATENCY -> n >= 5 ? window.p95(now) : Double.NaN;
                case ERROR_RATE -> n >= 5 ? window.errorRate(now) : Double.NaN;
                case SPEND_RATE -> window.spendPerHour(now);
            };
            String reason = "rule:" + rule.name();
            boolean above = value > rule.above();
            if (above) {
                long since = ruleTrue.computeIfAbsent(rule, r -> now);
                if (now - since >= rule.forDuration().toMillis() && !reasons.containsKey(reason)) {
                    degrade(now, reason, rule.name(), rule.name(), value, rule.above());
                }
            } else if (!Double.isNaN(value) || n == 0) {
                ruleTrue.remove(rule);
                if (reasons.containsKey(reason)) recover(now, reason, rule.name(), Double.isNaN(value) ? 0 : value, rule.above());
            }
        }
    }

    /** Degraded for routing by every reason but spending: a spend rule reports, it does not route around. */
    private void updateDegraded() {
        degraded = reasons.keySet().stream().anyMatch(r -> !r.equals(SPEND_REASON));
    }

    synchronized ObjectNode json(long now) {
        ObjectNode o = Json.object();
        o.put("model", model).put("deployment", deployment).put("degraded", degraded).put("attempts", attempts)
                .put("failures", failures);
        var why = o.putArray("reasons");
        reasons.forEach((r, s) -> why.addObject().put("reason", r).put("detector", s.detector).put("since_ms", s.millis));
        ObjectNode stats = o.putObject("stats");
        put(stats, "baseline_latency_s", warm >= config.warmup() ? baselineLatency : Double.NaN);
        put(stats, "recent_latency_s", recentLatency);
        put(stats, "baseline_error_rate", warm >= config.warmup() ? baselineErrors : Double.NaN);
        put(stats, "recent_error_rate", recentErrors);
        put(stats, "tokens_per_second", tokensPerSecond);
        put(stats, "cost_per_request_usd", costPerRequest);
        put(stats, "quality", quality);
        stats.put("quality_count", qualityCount);
        ObjectNode w = o.putObject("window");
        w.put("attempts", window.attempts(now));
        put(w, "p95_latency_s", window.p95(now));
        put(w, "error_rate", window.errorRate(now));
        put(w, "spend_usd_per_hour", window.spendPerHour(now));
        return o;
    }

    private static void put(ObjectNode o, String k, double v) {
        if (Double.isFinite(v)) o.put(k, Math.round(v * 1e6) / 1e6);
        else o.putNull(k);
    }

    List<String> reasons() {
        return new ArrayList<>(reasons.keySet());
    }
}
