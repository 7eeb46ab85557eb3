package dev.arbiter.limit;

import dev.arbiter.config.ConfigException;
import java.time.Duration;
import java.util.Locale;

/**
 * One limit: at most {@code limit} requests (or tokens) per {@code per}, counted by {@code algorithm} in
 * {@code store}. A token bucket holds {@code burst} at most (the limit itself unless configured) and refills at
 * {@code limit / per}; a sliding window admits {@code limit} in any window of {@code per} (the two-window
 * approximation: the previous fixed window's count weighted by how much of it the sliding window still covers).
 */
public record Rule(Dimension dimension, long limit, Duration per, Algorithm algorithm, long burst, Store store) {
    public enum Dimension {
        REQUESTS, TOKENS;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Algorithm {
        TOKEN_BUCKET, SLIDING_WINDOW;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    public enum Store {
        /** Counted by each gateway on its own. */
        MEMORY,
        /** Counted once across every gateway sharing {@code redis:} (each gateway's share while Redis is away). */
        REDIS;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Rule {
        ConfigException.require(limit >= 1, "limit", limit, ">= 1");
        ConfigException.require(per != null && per.toMillis() >= 1, "per", per, "a duration of at least 1ms");
        if (burst <= 0) burst = limit;
    }

    /** A short name for this rule in headers and metrics: {@code requests/1m}. */
    public String window() {
        long s = per.toSeconds();
        if (per.toMillis() % 1000 != 0) return per.toMillis() + "ms";
        if (s % 86_400 == 0) return s / 86_400 + "d";
        if (s % 3600 == 0) return s / 3600 + "h";
        if (s % 60 == 0) return s / 60 + "m";
        return s + "s";
    }

    /** This rule with a per-gateway share of its limit, when Redis cannot be reached. */
    Rule share(int nodes) {
        if (nodes <= 1) return new Rule(dimension, limit, per, algorithm, burst, Store.MEMORY);
        return new Rule(dimension, Math.max(1, limit / nodes), per, algorithm, Math.max(1, burst / nodes), Store.MEMORY);
    }
}
