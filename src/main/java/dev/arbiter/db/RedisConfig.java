package dev.arbiter.db;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.Section;
import java.time.Duration;

/**
 * The top-level {@code redis:} block, shared by every feature that keeps state in Redis (limits across nodes, the
 * cache's second tier): a {@code redis://} or {@code rediss://} URL (credentials and database in it, as Lettuce reads
 * it), how long a command may take and how long a connection attempt may take. Absent: no feature uses Redis.
 */
public record RedisConfig(String url, Duration timeout, Duration connectTimeout) {
    public static final RedisConfig NONE = new RedisConfig(null, Duration.ofMillis(250), Duration.ofMillis(500));

    public static final Section<RedisConfig> SECTION = Section.top("redis", NONE, n -> new RedisConfig(
            n.has("url") ? n.secret("url").reveal() : null,
            n.duration("timeout", NONE.timeout()),
            n.duration("connect-timeout", NONE.connectTimeout())));

    public RedisConfig {
        ConfigException.require(url == null || url.startsWith("redis://") || url.startsWith("rediss://"), "redis.url",
                url == null ? null : "(hidden)", "a Redis URL, e.g. redis://127.0.0.1:6379");
        ConfigException.require(timeout.toMillis() >= 1 && timeout.toSeconds() <= 60, "redis.timeout", timeout, "1ms..60s");
        ConfigException.require(connectTimeout.toMillis() >= 1 && connectTimeout.toSeconds() <= 60, "redis.connect-timeout", connectTimeout, "1ms..60s");
    }

    /** Whether Redis is configured at all. */
    public boolean configured() {
        return url != null;
    }

    @Override
    public String toString() {
        return "RedisConfig[url=" + (url == null ? "none" : "(hidden)") + ", timeout=" + timeout + ", connectTimeout=" + connectTimeout + "]";
    }
}
