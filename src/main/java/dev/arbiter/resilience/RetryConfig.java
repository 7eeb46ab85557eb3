package dev.arbiter.resilience;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Section;
import java.time.Duration;
import java.util.Locale;

/**
 * A model's retry settings ({@code models[].retry}): how many attempts a request may make in all (across its
 * model's deployments and its fallbacks), and how long to wait before going back to a deployment already tried.
 *
 * @param maxAttempts attempts per request in all, the first included ({@code 1} turns retries and fallbacks off)
 * @param initialDelay the first wait, and the unit of the linear and exponential growth
 * @param maxDelay the longest wait, before jitter; also the longest upstream {@code Retry-After} Arbiter waits out
 */
public record RetryConfig(int maxAttempts, Backoff backoff, Duration initialDelay, Duration maxDelay, Jitter jitter) {
    /** Three attempts, 100 ms doubling to at most 5 s, full jitter: the example, and AWS's advice. */
    public static final RetryConfig DEFAULT = new RetryConfig(3, Backoff.EXPONENTIAL, Duration.ofMillis(100),
            Duration.ofSeconds(5), Jitter.FULL);

    /** The {@code retry:} block of a model. */
    public static final Section<RetryConfig> SECTION = Section.perModel("retry", DEFAULT, RetryConfig::bind);

    /** How the wait grows with each retry. */
    public enum Backoff { FIXED, LINEAR, EXPONENTIAL }

    /**
     * How the wait is randomised (after "Exponential Backoff And Jitter", AWS Architecture Blog, 2015): none; full,
     * uniform in [0, wait]; equal, wait/2 plus uniform in [0, wait/2]; decorrelated, uniform in [initial, 3 x the
     * previous retry's wait], capped at max-delay.
     */
    public enum Jitter { NONE, FULL, EQUAL, DECORRELATED }

    public RetryConfig {
        var checks = new ConfigException.Checks();
        checks.require(maxAttempts >= 1 && maxAttempts <= 20, "retry.max-attempts", maxAttempts, "1..20");
        checks.require(backoff != null, "retry.backoff", backoff, "fixed | linear | exponential");
        checks.require(jitter != null, "retry.jitter", jitter, "none | full | equal | decorrelated");
        checks.require(initialDelay != null && !initialDelay.isNegative(), "retry.initial-delay", initialDelay, "a duration >= 0");
        checks.require(maxDelay != null && (initialDelay == null || maxDelay.compareTo(initialDelay) >= 0),
                "retry.max-delay", maxDelay, "a duration >= initial-delay");
        checks.throwIfAny();
    }

    /**
     * The wait before retry {@code n} (1 for the first retry) with {@code random} uniform in [0, 1): the backoff,
     * capped at max-delay, then jittered. Never negative, never above max-delay.
     */
    public Duration delay(int n, double random) {
        long base = base(n);
        long nanos = switch (jitter) {
            case NONE -> base;
            case FULL -> (long) (base * random);
            case EQUAL -> base / 2 + (long) (base / 2.0 * random);
            case DECORRELATED -> {
                long low = initialDelay.toNanos();
                long high = Math.max(low, n <= 1 ? low : Math.min(maxDelay.toNanos(), saturatedTimes(base(n - 1), 3)));
                yield Math.min(maxDelay.toNanos(), low + (long) ((high - low) * random));
            }
        };
        return Duration.ofNanos(Math.max(0, nanos));
    }

    /** The backoff before jitter for retry {@code n}, capped at max-delay. */
    private long base(int n) {
        long initial = initialDelay.toNanos();
        long grown = switch (backoff) {
            case FIXED -> initial;
            case LINEAR -> saturatedTimes(initial, Math.max(1, n));
            case EXPONENTIAL -> n >= 62 ? Long.MAX_VALUE : saturatedTimes(initial, 1L << Math.max(0, n - 1));
        };
        return Math.min(grown, maxDelay.toNanos());
    }

    private static long saturatedTimes(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
    }

    private static RetryConfig bind(ConfigNode n) {
        var d = DEFAULT;
        int maxAttempts = n.integer("max-attempts", d.maxAttempts());
        Backoff backoff = choice(n, "backoff", Backoff.class, d.backoff(), "fixed | linear | exponential");
        Jitter jitter = choice(n, "jitter", Jitter.class, d.jitter(), "none | full | equal | decorrelated");
        Duration initial = n.duration("initial-delay", d.initialDelay());
        Duration max = n.duration("max-delay", d.maxDelay());
        return n.build(() -> new RetryConfig(maxAttempts, backoff, initial, max, jitter));
    }

    private static <E extends Enum<E>> E choice(ConfigNode n, String key, Class<E> type, E dflt, String expected) {
        String v = n.string(key, null);
        if (v == null) return dflt;
        for (E e : type.getEnumConstants()) if (e.name().toLowerCase(Locale.ROOT).equals(v)) return e;
        n.problem(n.path() + "." + key, v, expected);
        return dflt;
    }
}
