package dev.arbiter.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's one PostgreSQL pool (HikariCP) with Arbiter's schema migrated by Flyway from
 * {@code db/migration} on the classpath. Created once, handed to the features that need it, closed with the gateway.
 * Starting does not need the database to be up: the pool connects lazily, and the migration is retried by
 * {@link #migrated()} until it succeeds, so a gateway started while PostgreSQL is down still serves (features that
 * write there buffer meanwhile).
 */
public final class Postgres implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Postgres.class);

    private final PostgresConfig config;
    private final HikariDataSource pool;
    private volatile boolean migrated;
    private HikariDataSource migrator;   // guarded by this

    public Postgres(PostgresConfig config) {
        this.config = config;
        this.pool = new HikariDataSource(hikari(config, config.maxPoolSize(), "arbiter-postgres"));
    }

    private static HikariConfig hikari(PostgresConfig config, int size, String name) {
        var hc = new HikariConfig();
        hc.setJdbcUrl(config.url());
        if (config.user() != null) hc.setUsername(config.user());
        if (config.password() != null) hc.setPassword(config.password().reveal());
        hc.setMaximumPoolSize(size);
        hc.setMinimumIdle(0);
        hc.setPoolName(name);
        hc.setConnectionTimeout(2_000);
        hc.setValidationTimeout(1_000);
        hc.setInitializationFailTimeout(-1);   // start without the database; connect when first asked
        return hc;
    }

    public DataSource dataSource() {
        return pool;
    }

    /** Migrates the schema if that has not succeeded yet; false while the database cannot be reached. */
    public synchronized boolean migrated() {
        if (migrated) return true;
        try {
            // Features own version ranges (admission V10-19, cache V20-29, decide V30-39, observe V40-49) and land in any
            // order, so a database already at V40 must still take a new V22: out-of-order applies it instead of
            // failing validation (which left every PostgreSQL feature of an upgraded gateway off).
            // The pool may hold a single connection (max-pool-size: 1), and Flyway holds one while it takes another
            // (the schema history's lock), so it migrates over a pool of two of its own, kept across retries and
            // closed once the schema is migrated.
            if (migrator == null) migrator = new HikariDataSource(hikari(config, 2, "arbiter-postgres-migrate"));
            Flyway.configure().dataSource(migrator).locations("classpath:db/migration").outOfOrder(true).load().migrate();
            migrated = true;
            migrator.close();
            migrator = null;
        } catch (RuntimeException e) {
            log.warn("PostgreSQL schema not migrated yet: {}", e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse(""));
        }
        return migrated;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (migrator != null) migrator.close();
        }
        pool.close();
    }
}
