package dev.arbiter.resilience;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Section;
import dev.arbiter.db.Redis;
import dev.arbiter.provider.Upstreams;
import dev.arbiter.route.MemoryUpstreamState;
import dev.arbiter.route.ModelRegistry;
import dev.arbiter.route.UpstreamState;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Where the per-upstream state lives (the top-level {@code resilience:} block): 429 cooldowns and circuit breaker
 * openings, in this gateway's memory or shared through the top-level {@code redis:} with every gateway node that uses
 * the same Redis and {@code key-prefix}.
 *
 * <pre>
 * resilience:
 *   shared-state: redis      # the default: shared when a redis: block is configured; memory keeps it on this node
 *   key-prefix: "arbiter:up:"
 *   sync-interval: 250ms     # how often each node reads the others' state
 * </pre>
 */
public record SharedStateConfig(boolean redis, String keyPrefix, Duration syncInterval) {
    public static final SharedStateConfig DEFAULT = new SharedStateConfig(true, "arbiter:up:", Duration.ofMillis(250));

    public static final Section<SharedStateConfig> SECTION = Section.top("resilience", DEFAULT, SharedStateConfig::bind);

    public SharedStateConfig {
        var checks = new ConfigException.Checks();
        checks.require(keyPrefix != null && keyPrefix.matches("[A-Za-z0-9:_.{}-]{1,64}"), "resilience.key-prefix", keyPrefix,
                "1-64 letters, digits or : _ . - { }");
        checks.require(syncInterval != null && syncInterval.toMillis() >= 10 && syncInterval.toSeconds() <= 10,
                "resilience.sync-interval", syncInterval, "10ms..10s");
        checks.throwIfAny();
    }

    /**
     * The per-upstream state as configured: in memory, or shared through {@code redis} when this asks for it and Redis
     * is configured (null: not configured). A shared one is {@link AutoCloseable}: closing it stops its reads of Redis.
     */
    public UpstreamState create(Redis redis, ModelRegistry registry, Upstreams upstreams, LongSupplier nanos) {
        var local = new MemoryUpstreamState(upstreams, nanos);
        return this.redis && redis != null ? new RedisUpstreamState(redis, local, registry, this, nanos) : local;
    }

    private static SharedStateConfig bind(ConfigNode n) {
        String store = n.string("shared-state", "redis");
        if (!store.equals("redis") && !store.equals("memory")) n.problem(n.path() + ".shared-state", store, "redis or memory");
        String prefix = n.string("key-prefix", DEFAULT.keyPrefix());
        Duration sync = n.duration("sync-interval", DEFAULT.syncInterval());
        return n.build(() -> new SharedStateConfig(!store.equals("memory"), prefix, sync));
    }
}
