package dev.arbiter.auth;

import dev.arbiter.db.Postgres;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.wire.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Virtual keys in PostgreSQL (table {@code arbiter_api_key}, migration V10), shared by every gateway on the database.
 * Lookups are cached above this store ({@link Keys}), so it sees one query per key per cache period. While the
 * database is unreachable, a lookup of a key not in the cache fails with 503 (not 401: the key may well be valid).
 */
public final class PostgresKeyStore implements KeyStore {
    private static final Logger log = LoggerFactory.getLogger(PostgresKeyStore.class);
    private static final String COLUMNS = "id, key_hash, prefix, spec, created_at, revoked_at";

    private final Postgres db;

    public PostgresKeyStore(Postgres db) {
        this.db = db;
    }

    @Override
    public void add(ApiKey k) {
        run("INSERT INTO arbiter_api_key (id, key_hash, prefix, name, spec, created_at) VALUES (?, ?, ?, ?, ?::jsonb, ?)", ps -> {
            ps.setString(1, k.id());
            ps.setString(2, k.hash());
            ps.setString(3, k.prefix());
            ps.setString(4, k.spec().name());
            ps.setString(5, Json.string(KeyJson.spec(k.spec())));
            ps.setTimestamp(6, Timestamp.from(k.createdAt()));
            ps.executeUpdate();
            return null;
        });
    }

    @Override
    public Optional<ApiKey> byHash(String hash) {
        return one("SELECT " + COLUMNS + " FROM arbiter_api_key WHERE key_hash = ?", hash);
    }

    @Override
    public Optional<ApiKey> byId(String id) {
        return one("SELECT " + COLUMNS + " FROM arbiter_api_key WHERE id = ?", id);
    }

    @Override
    public List<ApiKey> list() {
        return run("SELECT " + COLUMNS + " FROM arbiter_api_key ORDER BY created_at DESC", ps -> {
            var out = new ArrayList<ApiKey>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(row(rs));
            }
            return out;
        });
    }

    @Override
    public Optional<ApiKey> revoke(String id, Instant at) {
        run("UPDATE arbiter_api_key SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", ps -> {
            ps.setTimestamp(1, Timestamp.from(at));
            ps.setString(2, id);
            return ps.executeUpdate();
        });
        return byId(id);
    }

    private Optional<ApiKey> one(String sql, String arg) {
        return run(sql, ps -> {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.<ApiKey>empty();
            }
        });
    }

    private static ApiKey row(ResultSet rs) throws SQLException {
        Timestamp revoked = rs.getTimestamp("revoked_at");
        return new ApiKey(rs.getString("id"), rs.getString("prefix"), rs.getString("key_hash"),
                KeyJson.stored(Json.parse(rs.getString("spec"))), "admin", rs.getTimestamp("created_at").toInstant(),
                revoked == null ? KeySpec.NEVER : revoked.toInstant());
    }

    private interface Statement<T> {
        T run(PreparedStatement ps) throws SQLException;
    }

    private <T> T run(String sql, Statement<T> body) {
        if (!db.migrated()) throw unavailable();
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            return body.run(ps);
        } catch (SQLException e) {
            log.warn("API key store: {}", e.getMessage());
            throw unavailable();
        }
    }

    private static ArbiterException unavailable() {
        return new ArbiterException.Overloaded("The API key store is unavailable; retry shortly", java.time.Duration.ofSeconds(1), false);
    }
}
