package dev.arbiter.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arbiter.db.Postgres;
import dev.arbiter.db.PostgresConfig;
import dev.arbiter.db.TestPostgres;
import dev.arbiter.llm.Usage;
import dev.arbiter.pipeline.Trace;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The request log's writer against a real PostgreSQL: every column arrives as recorded through the binary COPY
 * (nulls, a stream's time to first token, a caller's model name holding NUL), and a full buffer drops and counts.
 */
class RequestLogWriterTest {
    /** A day long past, so no other test's rows share its partition; the retention (30 days) keeps it. */
    private static final Instant DAY = Instant.parse("2001-03-04T05:06:07.123Z");

    private static Outcome outcome(String id, String requestedModel, String model, boolean streamed, int status, String error,
                                   long ttftNanos, String cache) {
        var trace = new Trace(System::nanoTime);
        if (cache != null) trace.cache(cache);
        if (model != null) trace.begin(model, "dep-a", "openai").end(status, error);
        return new Outcome(id, "key:team-a", "chat", "chat", requestedModel, model, model == null ? null : "dep-a",
                model == null ? null : "openai", streamed, status, error, new Usage(12, 34, 0, 0, 0, true), 0.125, 2_500_000,
                ttftNanos, trace);
    }

    @Test
    void record_writesEveryColumnAsRecorded() throws Exception {
        assumeTrue(TestPostgres.reachable(), "PostgreSQL is not running on 127.0.0.1:5432");
        String ok = "rlw-ok-" + UUID.randomUUID();
        String failed = "rlw-failed-" + UUID.randomUUID();
        try (var db = new Postgres(new PostgresConfig(TestPostgres.URL, "postgres", null, 2))) {
            try (var log = new RequestLog(db, new ObserveConfig(true, Duration.ofDays(30), 100), InstantSource.fixed(DAY))) {
                log.record(outcome(ok, "gpt-x", "chat-a", true, 200, null, 1_250_000, "miss"));
                log.record(outcome(failed, "no\u0000such é", null, false, 404, "model_not_found", -1, null));
            }
            try (var c = TestPostgres.connect(); var ps = c.prepareStatement("SELECT request_id, ts, caller, api, operation,"
                    + " requested_model, model, deployment, provider, stream, status, error, input_tokens, output_tokens, estimated,"
                    + " cost_usd, latency_ms, ttft_ms, attempts, cache FROM arbiter_request_log WHERE request_id IN (?, ?)"
                    + " ORDER BY status")) {
                ps.setString(1, ok);
                ps.setString(2, failed);
                var rows = new ArrayList<List<Object>>();
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        var row = new ArrayList<Object>();
                        for (int i = 1; i <= 20; i++) row.add(i == 2 ? rs.getTimestamp(i).toInstant() : rs.getObject(i));
                        rows.add(row);
                    }
                }
                assertThat(rows).hasSize(2);
                assertThat(rows.get(0)).containsExactly(ok, DAY, "key:team-a", "chat", "chat", "gpt-x", "chat-a", "dep-a", "openai",
                        true, 200, null, 12L, 34L, true, 0.125, 2.5, 1.25, 1, "miss");
                assertThat(rows.get(1)).containsExactly(failed, DAY, "key:team-a", "chat", "chat", "no\uFFFDsuch é", null, null, null,
                        false, 404, "model_not_found", 12L, 34L, true, 0.125, 2.5, null, 0, null);
            }
        }
    }

    @Test
    void postgresAway_rowsWait_andArriveOnceItIsBack() throws Exception {
        assumeTrue(TestPostgres.reachable(), "PostgreSQL is not running on 127.0.0.1:5432");
        String before = "rlw-before-" + UUID.randomUUID();
        String during = "rlw-during-" + UUID.randomUUID();
        try (var relay = new Relay(5432)) {
            String url = "jdbc:postgresql://127.0.0.1:" + relay.port() + "/" + TestPostgres.DATABASE;
            try (var db = new Postgres(new PostgresConfig(url, "postgres", null, 2));
                 var log = new RequestLog(db, new ObserveConfig(true, Duration.ofDays(30), 100), InstantSource.fixed(DAY))) {
                log.record(outcome(before, "m", "m", false, 200, null, -1, null));
                await(() -> log.written() == 1);
                relay.down();
                log.record(outcome(during, "m", "m", false, 200, null, -1, null));
                Thread.sleep(3 * RequestLog.FLUSH_EVERY.toMillis());
                assertThat(log.written()).as("PostgreSQL is away").isEqualTo(1);
                relay.up();
                await(() -> log.written() == 2);
                assertThat(log.dropped()).isZero();
            }
        }
        try (var c = TestPostgres.connect(); var ps = c.prepareStatement("SELECT count(*) FROM arbiter_request_log WHERE request_id IN (?, ?)")) {
            ps.setString(1, before);
            ps.setString(2, during);
            try (var rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(2);
            }
        }
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < until) Thread.sleep(20);
        assertThat(condition.getAsBoolean()).isTrue();
    }

    /**
     * A TCP relay to a local port that can be taken down (listener and every relayed connection closed) and brought
     * back on the same port: PostgreSQL going away and returning, without stopping the server other tests share.
     */
    private static final class Relay implements AutoCloseable {
        private final int target;
        private final int port;
        private final List<java.io.Closeable> open = java.util.Collections.synchronizedList(new ArrayList<>());
        private volatile java.net.ServerSocket server;

        Relay(int target) throws java.io.IOException {
            this.target = target;
            try (var probe = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
                this.port = probe.getLocalPort();
            }
            up();
        }

        int port() {
            return port;
        }

        void up() throws java.io.IOException {
            var s = new java.net.ServerSocket();
            s.setReuseAddress(true);
            s.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port));
            server = s;
            open.add(s);
            Thread.ofVirtual().start(() -> {
                while (!s.isClosed()) {
                    try {
                        var in = s.accept();
                        var out = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), target);
                        open.add(in);
                        open.add(out);
                        pipe(in, out);
                        pipe(out, in);
                    } catch (java.io.IOException e) {
                        return;   // taken down
                    }
                }
            });
        }

        private static void pipe(java.net.Socket from, java.net.Socket to) {
            Thread.ofVirtual().start(() -> {
                try (from; to) {
                    from.getInputStream().transferTo(to.getOutputStream());
                } catch (java.io.IOException ignored) {
                    // one side closed: the pair ends
                }
            });
        }

        void down() {
            synchronized (open) {
                for (var c : open) {
                    try {
                        c.close();
                    } catch (java.io.IOException ignored) {
                        // already closed
                    }
                }
                open.clear();
            }
        }

        @Override
        public void close() {
            down();
        }
    }

    @Test
    void fullBuffer_dropsTheRowsBeyondIt_andCountsThem() throws Exception {
        // nothing listens on port 1: every write fails, so the rows stay in the buffer
        try (var db = new Postgres(new PostgresConfig("jdbc:postgresql://127.0.0.1:1/none", "postgres", null, 1));
             var log = new RequestLog(db, new ObserveConfig(true, Duration.ofDays(30), 100), InstantSource.fixed(DAY))) {
            for (int i = 0; i < 150; i++) log.record(outcome("rlw-drop-" + i, "m", "m", false, 200, null, -1, null));
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (log.dropped() < 50 && System.nanoTime() < until) Thread.sleep(50);
            assertThat(log.dropped()).isEqualTo(50);
            assertThat(log.written()).isZero();
        }
    }
}
