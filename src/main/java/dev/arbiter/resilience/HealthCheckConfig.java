package dev.arbiter.resilience;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import java.time.Duration;
import java.util.Locale;

/**
 * A deployment's active health check while its circuit breaker is open
 * ({@code models[].deployments[].circuit-breaker.health-check}): every {@code interval} one probe, bounded by
 * {@code timeout}, asks the upstream whether it is back; the first success moves the breaker to half-open. Off unless
 * the block is set ({@code enabled: false} turns a set block off).
 *
 * @param probe {@code models} ({@code GET {base-url}/models}, free) or {@code completion} (a one-token completion of a
 *     fixed prompt, for upstreams that list models while their model is down)
 */
public record HealthCheckConfig(boolean enabled, Probe probe, Duration interval, Duration timeout) {
    /** What a health check asks the upstream. */
    public enum Probe {
        /** {@code GET {base-url}/models} (Anthropic: {@code /v1/models}) with the deployment's credentials: answered 200 with a model list. */
        MODELS,
        /** A one-token completion (an embedding for an embeddings model) of a fixed prompt: answered without error. */
        COMPLETION;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Off; when a block is set: {@code models} every 5 s, 2 s at most each. */
    public static final HealthCheckConfig OFF = new HealthCheckConfig(false, Probe.MODELS, Duration.ofSeconds(5), Duration.ofSeconds(2));

    public HealthCheckConfig {
        var checks = new ConfigException.Checks();
        checks.require(probe != null, "circuit-breaker.health-check.probe", probe, "models or completion");
        checks.require(interval != null && interval.toMillis() >= 10 && interval.toHours() < 1, "circuit-breaker.health-check.interval",
                interval, "10ms..1h");
        checks.require(timeout != null && timeout.toMillis() >= 1 && timeout.toMinutes() < 10, "circuit-breaker.health-check.timeout",
                timeout, "1ms..10m");
        checks.throwIfAny();
    }

    static HealthCheckConfig bind(ConfigNode n) {
        if (!n.present()) return OFF;
        boolean enabled = n.bool("enabled", true);
        Probe probe = OFF.probe();
        String p = n.string("probe", null);
        if (p != null) {
            switch (p) {
                case "models" -> probe = Probe.MODELS;
                case "completion" -> probe = Probe.COMPLETION;
                default -> n.problem(n.path() + ".probe", p, "models or completion");
            }
        }
        Duration interval = n.duration("interval", OFF.interval());
        Duration timeout = n.duration("timeout", OFF.timeout());
        Probe chosen = probe;
        HealthCheckConfig c = n.build(() -> new HealthCheckConfig(enabled, chosen, interval, timeout));
        return c == null ? OFF : c;
    }
}
