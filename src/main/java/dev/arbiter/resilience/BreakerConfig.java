package dev.arbiter.resilience;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Section;
import java.time.Duration;

/**
 * A deployment's circuit breaker ({@code models[].deployments[].circuit-breaker}): over the last
 * {@code sliding-window} calls, once at least {@code minimum-calls} were made, a failure rate at or above
 * {@code failure-rate-threshold} percent opens the circuit for {@code open-for}; then {@code half-open-calls} probes
 * decide whether it closes again or opens anew. With {@code slow-call} set, a call whose answer (a stream's first
 * event) took longer counts as slow, and a slow-call rate at or above {@code slow-call-rate-threshold} percent opens
 * the circuit too. Each opening after a failed probe stays open {@code open-for-growth} times longer than the one
 * before, up to {@code max-open-for}; a clean close starts again from {@code open-for}. With {@code health-check} set,
 * an open circuit's upstream is probed meanwhile, and a success moves it to half-open early ({@link HealthCheckConfig}).
 */
public record BreakerConfig(boolean enabled, float failureRateThreshold, int minimumCalls, int slidingWindow,
                            Duration openFor, int halfOpenCalls, Duration slowCall, float slowCallRateThreshold,
                            double openForGrowth, Duration maxOpenFor, HealthCheckConfig healthCheck) {
    /**
     * 50% of the last 20 calls, at least 5 of them; open 60 s, then 2 probes; each trip again without a clean close
     * doubles the open time, up to 10 minutes; slow calls not counted.
     */
    public static final BreakerConfig DEFAULT = new BreakerConfig(true, 50, 5, 20, Duration.ofSeconds(60), 2, Duration.ZERO,
            80, 2, Duration.ofMinutes(10), HealthCheckConfig.OFF);

    /** The settings of before health checks: none. */
    public BreakerConfig(boolean enabled, float failureRateThreshold, int minimumCalls, int slidingWindow, Duration openFor,
                         int halfOpenCalls, Duration slowCall, float slowCallRateThreshold, double openForGrowth, Duration maxOpenFor) {
        this(enabled, failureRateThreshold, minimumCalls, slidingWindow, openFor, halfOpenCalls, slowCall, slowCallRateThreshold,
                openForGrowth, maxOpenFor, HealthCheckConfig.OFF);
    }

    /** The settings of before slow calls and growing open times: a fixed open time, no slow-call trigger. */
    public BreakerConfig(boolean enabled, float failureRateThreshold, int minimumCalls, int slidingWindow, Duration openFor,
                         int halfOpenCalls) {
        this(enabled, failureRateThreshold, minimumCalls, slidingWindow, openFor, halfOpenCalls, Duration.ZERO, 80, 1, openFor);
    }

    /** Whether slow calls count towards opening the circuit. */
    public boolean countsSlowCalls() {
        return !slowCall.isZero();
    }

    /**
     * How long the circuit stays open after its {@code trip}th opening in a row (1 for the first; a clean close starts
     * again at 1): {@code open-for} times {@code open-for-growth} to the power {@code trip - 1}, at most
     * {@code max-open-for}.
     */
    public Duration openFor(int trip) {
        double millis = openFor.toMillis() * Math.pow(openForGrowth, Math.max(0, trip - 1));
        long capped = (long) Math.min(millis, (double) Math.max(maxOpenFor.toMillis(), openFor.toMillis()));
        return Duration.ofMillis(Math.max(1, capped));
    }

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
        checks.require(slowCall != null && !slowCall.isNegative(), "circuit-breaker.slow-call", slowCall,
                "a duration >= 0 (0: slow calls do not count)");
        checks.require(slowCallRateThreshold > 0 && slowCallRateThreshold <= 100, "circuit-breaker.slow-call-rate-threshold",
                slowCallRateThreshold, "a percentage in (0, 100]");
        checks.require(openForGrowth >= 1 && openForGrowth <= 100, "circuit-breaker.open-for-growth", openForGrowth,
                "a factor in [1, 100] (1: the open time does not grow)");
        checks.require(maxOpenFor != null && (openFor == null || maxOpenFor.compareTo(openFor) >= 0),
                "circuit-breaker.max-open-for", maxOpenFor, "a duration >= open-for");
        checks.throwIfAny();
        if (healthCheck == null) healthCheck = HealthCheckConfig.OFF;
    }

    private static BreakerConfig bind(ConfigNode n) {
        var d = DEFAULT;
        boolean enabled = n.bool("enabled", d.enabled());
        double rate = n.number("failure-rate-threshold", d.failureRateThreshold());
        int minimum = n.integer("minimum-calls", d.minimumCalls());
        int window = n.integer("sliding-window", d.slidingWindow());
        Duration openFor = n.duration("open-for", d.openFor());
        int halfOpen = n.integer("half-open-calls", d.halfOpenCalls());
        Duration slowCall = n.duration("slow-call", d.slowCall());
        double slowRate = n.number("slow-call-rate-threshold", d.slowCallRateThreshold());
        double growth = n.number("open-for-growth", d.openForGrowth());
        Duration maxOpenFor = n.duration("max-open-for", openFor != null && openFor.compareTo(d.maxOpenFor()) > 0
                ? openFor : d.maxOpenFor());
        HealthCheckConfig health = HealthCheckConfig.bind(n.child("health-check"));
        return n.build(() -> new BreakerConfig(enabled, (float) rate, minimum, window, openFor, halfOpen, slowCall,
                (float) slowRate, growth, maxOpenFor, health));
    }
}
