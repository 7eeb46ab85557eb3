package dev.arbiter.analyze;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.wire.Json;
import java.time.Instant;

/**
 * One event of the analyzer: a drift, an anomaly or a threshold rule found on a deployment, or its recovery.
 *
 * @param id         increasing from 1 per gateway
 * @param kind       {@code drift}, {@code anomaly}, {@code threshold} or {@code recovered}
 * @param detector   what found it: {@code adwin}, {@code page-hinkley}, {@code cusum}, {@code z-score}, {@code iqr}, or the
 *                   rule's metric ({@code p95-latency}, {@code error-rate}, {@code spend-rate}); for a recovery, what
 *                   had found the degradation
 * @param metric     the statistic: {@code latency} (seconds), {@code error-rate}, {@code p95-latency} (seconds),
 *                   {@code spend-rate} (USD per hour)
 * @param value      the statistic's recent value
 * @param baseline   its value before (the learnt baseline, or the rule's threshold)
 * @param degraded   whether the deployment is degraded after this event (down-weighted by routing)
 */
public record Detection(long id, Instant at, String model, String deployment, String kind, String detector, String metric,
                        double value, double baseline, boolean degraded) {
    public ObjectNode json() {
        ObjectNode o = Json.object();
        o.put("id", id).put("at", at.toString()).put("model", model).put("deployment", deployment).put("kind", kind)
                .put("detector", detector).put("metric", metric).put("value", round(value)).put("baseline", round(baseline))
                .put("degraded", degraded);
        return o;
    }

    private static double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 1e6) / 1e6 : 0;
    }
}
