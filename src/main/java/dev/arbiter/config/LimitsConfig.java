package dev.arbiter.config;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gateway-wide concurrency: at most {@code maxInFlight} requests run at once, at most {@code maxQueued}
 * more wait up to {@code queueTimeout} for a slot; anything beyond is shed at once with 503 and Retry-After.
 * {@code queueTimeouts} sets the wait of single priority classes ({@code critical, high, normal, low}), the others
 * waiting {@code queueTimeout}; a deployment's own queue (its {@code max-in-flight} or adaptive {@code concurrency})
 * waits the same.
 */
public record LimitsConfig(int maxInFlight, int maxQueued, Duration queueTimeout, Map<String, Duration> queueTimeouts) {
    /** The priority classes, highest first, as {@code queue-timeouts} names them. */
    public static final List<String> CLASSES = List.of("critical", "high", "normal", "low");
    public static final LimitsConfig DEFAULT = new LimitsConfig(1024, 1024, Duration.ofSeconds(2));

    /** The {@code limits:} block. */
    public static final Section<LimitsConfig> SECTION = Section.top("limits", DEFAULT, LimitsConfig::bind);

    public LimitsConfig(int maxInFlight, int maxQueued, Duration queueTimeout) {
        this(maxInFlight, maxQueued, queueTimeout, Map.of());
    }

    public LimitsConfig {
        queueTimeouts = queueTimeouts == null ? Map.of() : Map.copyOf(queueTimeouts);
        var checks = new ConfigException.Checks();
        checks.require(maxInFlight >= 1, "limits.max-in-flight", maxInFlight, ">= 1");
        checks.require(maxQueued >= 0, "limits.max-queued", maxQueued, ">= 0");
        checks.require(queueTimeout != null && !queueTimeout.isNegative(), "limits.queue-timeout", queueTimeout, "a duration >= 0");
        for (var e : queueTimeouts.entrySet()) {
            checks.require(CLASSES.contains(e.getKey()), "limits.queue-timeouts." + e.getKey(), "(set)", "one of " + CLASSES);
            checks.require(e.getValue() != null && !e.getValue().isNegative(), "limits.queue-timeouts." + e.getKey(), e.getValue(),
                    "a duration >= 0");
        }
        checks.throwIfAny();
    }

    /** How long a request of class {@code cls} ({@link #CLASSES}) waits for a slot at most. */
    public Duration queueTimeout(String cls) {
        return queueTimeouts.getOrDefault(cls, queueTimeout);
    }

    /** The wait of each class, in the order of {@link #CLASSES}. */
    public Duration[] queueTimeoutsByClass() {
        Duration[] out = new Duration[CLASSES.size()];
        for (int i = 0; i < out.length; i++) out[i] = queueTimeout(CLASSES.get(i));
        return out;
    }

    private static LimitsConfig bind(ConfigNode n) {
        var timeouts = new LinkedHashMap<String, Duration>();
        ConfigNode t = n.child("queue-timeouts");
        if (t.present()) {
            for (String cls : t.fieldNames()) {
                Duration d = t.duration(cls, null);
                if (d != null) timeouts.put(cls, d);
            }
        }
        return n.build(() -> new LimitsConfig(n.integer("max-in-flight", DEFAULT.maxInFlight()), n.integer("max-queued", DEFAULT.maxQueued()),
                n.duration("queue-timeout", DEFAULT.queueTimeout()), timeouts));
    }
}
