package dev.arbiter.cache;

import dev.arbiter.cache.semantic.IndexEntry;
import dev.arbiter.db.Postgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The semantic cache's entries in PostgreSQL: table {@code arbiter_semantic_entry} (migration V22) on the gateway's
 * one pool. Expired rows are deleted at each rebuild and now and then by a write.
 */
final class PostgresEntryStore implements EntryStore {
    private static final int SWEEP_EVERY = 1000;
    private static final int QUERY_SECONDS = 5;

    private final Postgres postgres;
    private final AtomicLong writes = new AtomicLong();

    PostgresEntryStore(Postgres postgres) {
        this.postgres = postgres;
    }

    @Override
    public String name() {
        return "postgres";
    }

    private Connection connection() throws SQLException {
        if (!postgres.migrated()) throw new SQLException("the semantic cache's table is not migrated yet (PostgreSQL unreachable)");
        return postgres.dataSource().getConnection();
    }

    @Override
    public void save(PersistedEntry e) throws SQLException {
        try (var c = connection()) {
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO arbiter_semantic_entry (id, scope, model, embedder, partition, prompt, vector, created_ms, expires_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET scope = EXCLUDED.scope, model = EXCLUDED.model, embedder = EXCLUDED.embedder,
                        partition = EXCLUDED.partition, prompt = EXCLUDED.prompt, vector = EXCLUDED.vector,
                        created_ms = EXCLUDED.created_ms, expires_ms = EXCLUDED.expires_ms""")) {
                ps.setQueryTimeout(QUERY_SECONDS);
                ps.setString(1, e.entry().id());
                ps.setString(2, e.scope());
                ps.setString(3, e.model());
                ps.setString(4, e.embedder());
                ps.setString(5, e.entry().partition());
                ps.setString(6, e.entry().prompt());
                ps.setBytes(7, IndexEntry.bytes(e.entry().vector()));
                ps.setLong(8, e.createdMillis());
                ps.setLong(9, e.entry().expiresAt().toEpochMilli());
                ps.executeUpdate();
            }
            if (writes.incrementAndGet() % SWEEP_EVERY == 0) sweep(c, e.createdMillis());
        }
    }

    private static void sweep(Connection c, long nowMillis) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM arbiter_semantic_entry WHERE expires_ms <= ?")) {
            ps.setQueryTimeout(QUERY_SECONDS);
            ps.setLong(1, nowMillis);
            ps.executeUpdate();
        }
    }

    @Override
    public List<PersistedEntry> newest(String embedder, long nowMillis, int limit) throws SQLException {
        var out = new ArrayList<PersistedEntry>();
        try (var c = connection()) {
            sweep(c, nowMillis);
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT id, scope, model, partition, prompt, vector, created_ms, expires_ms FROM arbiter_semantic_entry
                    WHERE embedder = ? AND expires_ms > ? ORDER BY created_ms DESC LIMIT ?""")) {
                ps.setQueryTimeout(QUERY_SECONDS * 6);
                ps.setFetchSize(1000);
                ps.setString(1, embedder);
                ps.setLong(2, nowMillis);
                ps.setInt(3, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        var entry = new IndexEntry(rs.getString(1), rs.getString(4), rs.getString(5), IndexEntry.vector(rs.getBytes(6)),
                                Instant.ofEpochMilli(rs.getLong(8)));
                        out.add(new PersistedEntry(entry, rs.getString(2), rs.getString(3), embedder, rs.getLong(7)));
                    }
                }
            }
        }
        return out;
    }

    @Override
    public long purge(Purge p) throws SQLException {
        try (var c = connection(); PreparedStatement ps = c.prepareStatement("DELETE FROM arbiter_semantic_entry WHERE " + p.sqlCondition("id"))) {
            ps.setQueryTimeout(QUERY_SECONDS);
            p.bind(ps);
            return ps.executeUpdate();
        }
    }
}
