package dev.arbiter.db;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.Secret;
import dev.arbiter.config.Section;

/**
 * The top-level {@code postgres:} block, shared by every feature that keeps state in PostgreSQL (the request log
 * today): a JDBC URL, credentials and the pool's size. Absent: no feature uses PostgreSQL, each works in memory.
 */
public record PostgresConfig(String url, String user, Secret password, int maxPoolSize) {
    public static final PostgresConfig NONE = new PostgresConfig(null, null, null, 4);

    public static final Section<PostgresConfig> SECTION = Section.top("postgres", NONE, n -> new PostgresConfig(
            n.string("url", null), n.string("user", null), n.has("password") ? n.secret("password") : null,
            n.integer("max-pool-size", NONE.maxPoolSize())));

    public PostgresConfig {
        ConfigException.require(url == null || url.startsWith("jdbc:postgresql:"), "postgres.url", url,
                "a PostgreSQL JDBC URL, e.g. jdbc:postgresql://127.0.0.1:5432/arbiter");
        ConfigException.require(maxPoolSize >= 1 && maxPoolSize <= 100, "postgres.max-pool-size", maxPoolSize, "1..100");
    }

    /** Whether PostgreSQL is configured at all. */
    public boolean configured() {
        return url != null;
    }
}
