package dev.arbiter.resilience;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Section;
import java.time.Duration;

/**
 * A deployment's circuit breaker ({@code models[].deployments[].circuit-breaker}): over the last
 * {@code sliding-window} calls, once at least {@code minimum-calls} were made, a failure rate at or above
 * {@code failure-rate-threshold} percent opens the circuit for {@code open-for}; then {@code half-open-calls} probes
 * decide whether it closes again or opens anew.
 */
public record BreakerConfig(boolean enabled, float failureRateThreshold, int minimumCalls, int slidingWindow,
                            Duration openFor, int halfOpenCalls) {
    /** 50% of the last 20 calls, at least 5 of them; open 60 s; 2 probes. */
    public static final BreakerConfig DEFAULT = new BreakerConfig(true, 50, 5, 20, Duration.ofSeconds(60), 2);

    /** The {@code circuit-breaker:} block of a deployment. */
    public static final Section<BreakerConfig> SECTION = Section.perDeployment("circuit-breaker", DEFAULT, BreakerConfig::bind);

    public BreakerConfig {
        var checks = new ConfigException.Checks();
        checks.require(failureRateThreshold > 0 && failureRateThreshold <= 100, "circuit-breaker.failure-rate-threshold",
                failureRateThreshold, "a percentage in (0, 100]");
        checks.require(slidingWindow >= 1 && slidingWindow <= 10_000, "circuit-breaker.sliding-window", slidingWindow, "1..10000");
        checks.require(minimumCalls >= 1 && minimumCalls <= slidingWindow, "circuit-breaker.minimum-calls", minimumCalls,
                "1..sliding-window");
        checks.require(openFor != null && openFor.toMillis() >= 1, "circuit-breaker.open-for", openFor, "a duration >= 1ms");
        checks.require(halfOpenCalls >= 1 && halfOpenCalls <= 1000, "circuit-breaker.half-open-calls", halfOpenCalls, "1..1000");
        checks.throwIfAny();
    }

    private static BreakerConfig bind(ConfigNode n) {
        var d = DEFAULT;
        boolean enabled = n.bool("enabled", d.enabled());
        double rate = n.number("failure-rate-threshold", d.failureRateThreshold());
        int minimum = n.integer("minimum-calls", d.minimumCalls());
        int window = n.integer("sliding-window", d.slidingWindow());
        Duration openFor = n.duration("open-for", d.openFor());
        int halfOpen = n.integer("half-open-calls", d.halfOpenCalls());
        return n.build(() -> new BreakerConfig(enabled, (float) rate, minimum, window, openFor, halfOpen));
    }
}
