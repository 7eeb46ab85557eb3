package dev.arbiter.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arbiter.db.Postgres;
import dev.arbiter.db.PostgresConfig;
import dev.arbiter.db.TestPostgres;
import java.sql.Connection;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * The request log's day partitions in a real PostgreSQL: migration V40 keeps the rows V1 held, each in its own day's
 * partition; retention drops whole days past it and deletes only the older rows of the day it falls in.
 */
class DayPartitionsTest {
    private static long count(Connection c, String sql) throws Exception {
        try (var s = c.createStatement(); var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void insert(Connection c, String id, Instant ts) throws Exception {
        try (var ps = c.prepareStatement("INSERT INTO arbiter_request_log (request_id, ts, caller, api, operation, stream, status,"
                + " input_tokens, output_tokens, estimated, cost_usd, latency_ms, attempts) VALUES (?, ?, 'c', 'chat', 'chat', false, 200,"
                + " 1, 2, false, 0.5, 10, 1)")) {
            ps.setString(1, id);
            ps.setTimestamp(2, Timestamp.from(ts));
            ps.executeUpdate();
        }
    }

    @Test
    void migrationV40_keepsV1RowsInDayPartitions() throws Exception {
        assumeTrue(TestPostgres.reachable(), "PostgreSQL is not running on 127.0.0.1:5432");
        String schema = "observe_v40_test";
        try (var c = TestPostgres.connect(); var s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
        var flyway = Flyway.configure().dataSource(TestPostgres.URL, "postgres", "").schemas(schema)
                .locations("classpath:db/migration");
        flyway.target("1").load().migrate();
        try (var c = TestPostgres.connect()) {
            c.createStatement().execute("SET search_path TO " + schema);
            insert(c, "old-1", Instant.parse("2026-01-02T23:59:59Z"));
            insert(c, "old-2", Instant.parse("2026-01-03T00:00:00Z"));
            insert(c, "old-3", Instant.parse("2026-01-03T12:00:00Z"));
        }
        flyway.target("latest").load().migrate();
        try (var c = TestPostgres.connect()) {
            c.createStatement().execute("SET search_path TO " + schema);
            assertThat(count(c, "SELECT count(*) FROM arbiter_request_log")).isEqualTo(3);
            assertThat(count(c, "SELECT count(*) FROM arbiter_request_log_20260102")).isEqualTo(1);
            assertThat(count(c, "SELECT count(*) FROM arbiter_request_log_20260103")).isEqualTo(2);
            assertThat(count(c, "SELECT sum(output_tokens) FROM arbiter_request_log")).isEqualTo(6);
        } finally {
            try (var c = TestPostgres.connect(); var s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    @Test
    void dropBefore_dropsWholeOldDays_andOnlyOlderRowsOfTheCutoffDay() throws Exception {
        assumeTrue(TestPostgres.reachable(), "PostgreSQL is not running on 127.0.0.1:5432");
        try (var db = new Postgres(new PostgresConfig(TestPostgres.URL, "postgres", null, 2))) {
            assertThat(db.migrated()).isTrue();
        }
        var partitions = new DayPartitions();
        // days far in the past, so no other test's rows share them
        Instant cutoff = Instant.parse("2001-01-10T12:00:00Z");
        try (var c = TestPostgres.connect()) {
            for (String day : new String[] {"20010108", "20010109", "20010110", "20010111"}) {
                c.createStatement().execute("DROP TABLE IF EXISTS arbiter_request_log_" + day);
            }
            for (Instant ts : new Instant[] {cutoff.minus(2, ChronoUnit.DAYS), cutoff.minus(1, ChronoUnit.DAYS),
                    cutoff.minus(Duration.ofHours(1)), cutoff.plus(Duration.ofHours(1)), cutoff.plus(1, ChronoUnit.DAYS)}) {
                partitions.ensure(c, DayPartitions.day(ts.toEpochMilli()));
                partitions.ensure(c, DayPartitions.day(ts.toEpochMilli()));   // known: no second CREATE
                insert(c, "dp-" + ts, ts);
            }
            assertThat(new DayPartitions().dropBefore(c, cutoff.toEpochMilli())).contains("arbiter_request_log_20010108",
                    "arbiter_request_log_20010109").doesNotContain("arbiter_request_log_20010110");
            assertThat(count(c, "SELECT count(*) FROM pg_class WHERE relname IN ('arbiter_request_log_20010108', 'arbiter_request_log_20010109')"))
                    .isZero();
            assertThat(count(c, "SELECT count(*) FROM arbiter_request_log_20010110")).as("the cutoff day keeps its later row").isEqualTo(1);
            assertThat(count(c, "SELECT count(*) FROM arbiter_request_log_20010111")).isEqualTo(1);
            // a new writer that never saw the day creates it again without error (another gateway made it)
            new DayPartitions().ensure(c, LocalDate.parse("2001-01-11"));
            c.createStatement().execute("DROP TABLE arbiter_request_log_20010110");
            c.createStatement().execute("DROP TABLE arbiter_request_log_20010111");
        }
    }
}
