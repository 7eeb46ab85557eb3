package dev.arbiter.cache;

import dev.arbiter.db.Postgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The PostgreSQL tier: table {@code arbiter_cache_entry} (migration V20) on the gateway's one pool. Expiry is a column
 * read against the gateway's clock; expired rows are deleted now and then by a write (every {@link #SWEEP_EVERY}).
 */
final class PostgresTier implements Tier {
    private static final int SWEEP_EVERY = 1000;

    private final Postgres postgres;
    private final AtomicLong writes = new AtomicLong();
    private volatile boolean migrated;

    PostgresTier(Postgres postgres) {
        this.postgres = postgres;
        // migrate now, off the caller's thread: a first lookup must not spend its budget on Flyway
        Thread.ofVirtual().name("arbiter-cache-postgres-migrate").start(() -> migrated = postgres.migrated());
    }

    @Override
    public String name() {
        return "postgres";
    }

    private Connection connection() throws SQLException {
        if (!migrated) {
            if (!postgres.migrated()) throw new SQLException("the cache table is not migrated yet (PostgreSQL unreachable)");
            migrated = true;
        }
        return postgres.dataSource().getConnection();
    }

    @Override
    public Optional<CachedAnswer> get(CacheKey key, long nowMillis) throws SQLException {
        try (var c = connection(); PreparedStatement ps = c.prepareStatement(
                "SELECT value FROM arbiter_cache_entry WHERE key = ? AND expires_ms > ?")) {
            ps.setString(1, key.id());
            ps.setLong(2, nowMillis);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                return AnswerCodec.decode(rs.getBytes(1)).filter(a -> !a.expired(nowMillis));
            }
        }
    }

    @Override
    public void put(CacheKey key, CachedAnswer answer, byte[] bytes) throws SQLException {
        try (var c = connection()) {
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO arbiter_cache_entry (key, scope, model, value, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (key) DO UPDATE SET scope = EXCLUDED.scope, model = EXCLUDED.model, value = EXCLUDED.value,
                        created_ms = EXCLUDED.created_ms, expires_ms = EXCLUDED.expires_ms""")) {
                ps.setString(1, key.id());
                ps.setString(2, key.scope());
                ps.setString(3, key.model());
                ps.setBytes(4, bytes);
                ps.setLong(5, answer.createdMillis());
                ps.setLong(6, answer.expiresMillis());
                ps.executeUpdate();
            }
            if (writes.incrementAndGet() % SWEEP_EVERY == 0) {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM arbiter_cache_entry WHERE expires_ms <= ?")) {
                    ps.setLong(1, answer.createdMillis());
                    ps.executeUpdate();
                }
            }
        }
    }

    @Override
    public long purge(Purge p) throws SQLException {
        try (var c = connection(); PreparedStatement ps = c.prepareStatement("DELETE FROM arbiter_cache_entry WHERE " + p.sqlCondition("key"))) {
            p.bind(ps);
            return ps.executeUpdate();
        }
    }
}
