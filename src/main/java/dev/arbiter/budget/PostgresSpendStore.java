package dev.arbiter.budget;

import dev.arbiter.db.Postgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalDouble;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spend in PostgreSQL (table {@code arbiter_spend}, migration V11): one row per scope and period, added to with an
 * upsert as each request settles. While the database is away the gateway keeps counting in memory (what it could
 * not write is logged and lost to the database, not to this gateway's own accounting).
 */
final class PostgresSpendStore implements SpendStore {
    private static final Logger log = LoggerFactory.getLogger(PostgresSpendStore.class);
    private final Postgres db;

    PostgresSpendStore(Postgres db) {
        this.db = db;
    }

    @Override
    public Map<String, Double> load(String period) {
        var out = new HashMap<String, Double>();
        if (!db.migrated()) return out;
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT scope, spent_usd FROM arbiter_spend WHERE period = ?")) {
            ps.setString(1, period);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.put(rs.getString(1), rs.getDouble(2));
            }
        } catch (SQLException e) {
            log.warn("spend store: could not load {}: {}", period, e.getMessage());
        }
        return out;
    }

    @Override
    public OptionalDouble spent(String scope, String period) {
        if (!db.migrated()) return OptionalDouble.empty();
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT spent_usd FROM arbiter_spend WHERE scope = ? AND period = ?")) {
            ps.setString(1, scope);
            ps.setString(2, period);
            try (ResultSet rs = ps.executeQuery()) {
                return OptionalDouble.of(rs.next() ? rs.getDouble(1) : 0);
            }
        } catch (SQLException e) {
            log.warn("spend store: could not read {} {}: {}", scope, period, e.getMessage());
            return OptionalDouble.empty();
        }
    }

    @Override
    public void add(String scope, String period, double usd) {
        if (usd == 0 || !db.migrated()) return;
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO arbiter_spend (scope, period, spent_usd) VALUES (?, ?, ?) "
                        + "ON CONFLICT (scope, period) DO UPDATE SET spent_usd = arbiter_spend.spent_usd + EXCLUDED.spent_usd")) {
            ps.setString(1, scope);
            ps.setString(2, period);
            ps.setDouble(3, usd);
            ps.executeUpdate();
        } catch (SQLException e) {
            log.warn("spend store: could not add to {} {}: {}", scope, period, e.getMessage());
        }
    }
}
