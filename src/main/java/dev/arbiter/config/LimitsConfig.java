package dev.arbiter.config;

import java.time.Duration;

/**
 * Gateway-wide concurrency: at most {@code maxInFlight} requests run at once, at most {@code maxQueued}
 * more wait up to {@code queueTimeout} for a slot; anything beyond is shed at once with 503 and Retry-After.
 */
public record LimitsConfig(int maxInFlight, int maxQueued, Duration queueTimeout) {
    public static final LimitsConfig DEFAULT = new LimitsConfig(1024, 1024, Duration.ofSeconds(2));

    /** The {@code limits:} block. */
    public static final Section<LimitsConfig> SECTION = Section.top("limits", DEFAULT,
            n -> new LimitsConfig(n.integer("max-in-flight", DEFAULT.maxInFlight()), n.integer("max-queued", DEFAULT.maxQueued()),
                    n.duration("queue-timeout", DEFAULT.queueTimeout())));

    public LimitsConfig {
        var checks = new ConfigException.Checks();
        checks.require(maxInFlight >= 1, "limits.max-in-flight", maxInFlight, ">= 1");
        checks.require(maxQueued >= 0, "limits.max-queued", maxQueued, ">= 0");
        checks.require(queueTimeout != null && !queueTimeout.isNegative(), "limits.queue-timeout", queueTimeout, "a duration >= 0");
        checks.throwIfAny();
    }
}
