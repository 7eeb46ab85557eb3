package dev.arbiter.route;

import dev.arbiter.provider.Deployment;
import java.time.Duration;

/**
 * State of the upstream endpoints that routing reads and the attempt step writes, shared by every model whose
 * deployments reach the same endpoint: the 429 cooldown an upstream asked for, and, per deployment, the openings of
 * its circuit breaker as other gateway nodes saw them. Small on purpose, so that a shared implementation (Redis, for
 * several gateway nodes) can stand in for the in-memory {@link MemoryUpstreamState}. Implementations never throw and
 * never block a request: a store that cannot answer reads as "free" (this node's own state still holds).
 */
public interface UpstreamState {
    /** The longest cooldown kept, whatever the upstream asked for (a daily quota's "come back tomorrow" included). */
    Duration MAX_COOLDOWN = Duration.ofSeconds(60);

    /** Remembers nothing: no deployment is ever cooling down. */
    UpstreamState NONE = new UpstreamState() {
        @Override
        public void coolDown(Deployment d, Duration wait) {
        }

        @Override
        public Duration cooldown(Deployment d) {
            return Duration.ZERO;
        }
    };

    /**
     * {@code d}'s endpoint asked (429 with {@code Retry-After}, {@code retry-after-ms} or {@code x-ratelimit-reset-*})
     * to be left alone for {@code wait}, capped at {@link #MAX_COOLDOWN}; a cooldown already running that ends later
     * is kept.
     */
    void coolDown(Deployment d, Duration wait);

    /** The time left of {@code d}'s endpoint's cooldown; zero when it is free. */
    Duration cooldown(Deployment d);

    /**
     * This node's circuit breaker of {@code d} (its model's deployment) opened for {@code openFor}: other nodes keep
     * away from it that long, unless it closes sooner. Nothing to do for a state kept on one node.
     */
    default void breakerOpened(Deployment d, Duration openFor) {
    }

    /** This node's breaker of {@code d} closed (its probes succeeded) or was reset: withdraws its opening. */
    default void breakerClosed(Deployment d) {
    }

    /**
     * The time left of an opening of {@code d}'s breaker published by another node (never this node's own: its breaker
     * says that); zero when there is none.
     */
    default Duration openElsewhere(Deployment d) {
        return Duration.ZERO;
    }
}
