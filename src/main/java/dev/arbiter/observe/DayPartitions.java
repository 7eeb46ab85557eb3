package dev.arbiter.observe;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The day partitions of {@code arbiter_request_log} (migration V40): one table per UTC day, named
 * {@code arbiter_request_log_YYYYMMDD}, created before the first row of its day is written, dropped whole once the
 * day is past the retention. Several gateways may share the database: creating a partition another one created a
 * moment before is not an error. Used by the request log's writer thread only.
 */
final class DayPartitions {
    static final String TABLE = "arbiter_request_log";
    private static final DateTimeFormatter SUFFIX = DateTimeFormatter.ofPattern("yyyyMMdd");

    private final Set<LocalDate> known = new HashSet<>();

    static LocalDate day(long epochMillis) {
        return Instant.ofEpochMilli(epochMillis).atZone(ZoneOffset.UTC).toLocalDate();
    }

    static String name(LocalDate day) {
        return TABLE + "_" + day.format(SUFFIX);
    }

    /** Creates the partition of {@code day} unless this writer already knows it exists. */
    void ensure(Connection c, LocalDate day) throws SQLException {
        if (known.contains(day)) return;
        Instant from = day.atStartOfDay(ZoneOffset.UTC).toInstant();
        Instant to = day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        // DDL takes no bind parameters; the name and bounds are made here from a date, never from a caller
        String sql = "CREATE TABLE IF NOT EXISTS " + name(day) + " PARTITION OF " + TABLE + " FOR VALUES FROM ('" + from
                + "') TO ('" + to + "')";
        boolean auto = c.getAutoCommit();
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            // another gateway created it between our check and our create (duplicate table, or the catalog's unique index)
            if (!"42P07".equals(e.getSQLState()) && !"23505".equals(e.getSQLState())) throw e;
            if (!auto) c.rollback();
        }
        known.add(day);
    }

    /** Forgets which partitions exist, so that each is checked (and created if missing) again. */
    void forget() {
        known.clear();
    }

    /** Drops the partitions of days wholly before {@code cutoff}, then deletes the older rows of the day it falls in. */
    List<String> dropBefore(Connection c, long cutoffMillis) throws SQLException {
        LocalDate cutoffDay = day(cutoffMillis);
        var dropped = new ArrayList<String>();
        var names = new ArrayList<String>();
        try (PreparedStatement ps = c.prepareStatement("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                + " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = ?")) {
            ps.setString(1, TABLE);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) names.add(rs.getString(1));
            }
        }
        for (String n : names) {
            LocalDate d;
            try {
                d = LocalDate.parse(n.substring(TABLE.length() + 1), SUFFIX);
            } catch (RuntimeException e) {
                continue;   // not one of ours
            }
            if (d.isBefore(cutoffDay)) {
                try (Statement s = c.createStatement()) {
                    s.execute("DROP TABLE IF EXISTS " + n);
                }
                known.remove(d);
                dropped.add(n);
            }
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE + " WHERE ts < ?")) {
            ps.setTimestamp(1, new Timestamp(cutoffMillis));
            ps.executeUpdate();
        }
        return dropped;
    }
}
