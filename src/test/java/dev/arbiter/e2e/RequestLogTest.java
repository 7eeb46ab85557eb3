package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arbiter.mock.MockConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The request log in a real PostgreSQL (127.0.0.1:5432, database test, started by .ci/run): every request's row
 * arrives, written off the request's path; with PostgreSQL stopped mid-test requests still succeed and their rows
 * arrive once it is back.
 */
class RequestLogTest {
    private static final String URL = dev.arbiter.db.TestPostgres.URL;
    private static Fixture f;

    @BeforeAll
    static void start() {
        assumeTrue(reachable(), "PostgreSQL is not running on 127.0.0.1:5432 (.ci/run starts it)");
        f = new Fixture(MockConfig.DEFAULT, """
                postgres: {url: "%s", user: postgres, max-pool-size: 2}
                observe: {request-log: true, retention: 30d}
                """.formatted(URL), "");
    }

    @AfterAll
    static void stop() {
        if (f != null) f.close();
    }

    private static boolean reachable() {
        try (var c = DriverManager.getConnection(URL, "postgres", "")) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    /** The row of {@code requestId} as "model status api caller-prefix", waiting up to {@code wait} for it. */
    private static String row(String requestId, Duration wait) throws Exception {
        long until = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < until) {
            try (var c = DriverManager.getConnection(URL, "postgres", "");
                 var ps = c.prepareStatement("SELECT model, status, api, caller, input_tokens, cost_usd, attempts, deployment"
                         + " FROM arbiter_request_log WHERE request_id = ?")) {
                ps.setString(1, requestId);
                try (var rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return rs.getString(1) + " " + rs.getInt(2) + " " + rs.getString(3) + " " + rs.getString(4).split(":")[0]
                                + " in>0=" + (rs.getLong(5) > 0) + " cost>0=" + (rs.getDouble(6) > 0) + " attempts=" + rs.getInt(7)
                                + " " + rs.getString(8);
                    }
                }
            } catch (SQLException e) {
                // the table may not exist yet, or PostgreSQL is coming back
            }
            Thread.sleep(100);
        }
        return null;
    }

    private static String unique(String prefix) {
        return prefix + "-" + java.util.UUID.randomUUID();
    }

    @Test
    void requests_leaveTheirRowsInPostgres() throws Exception {
        String ok = unique("rl-ok");
        var r = f.post("/v1/chat/completions", "{\"model\":\"chat-openai\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                Map.of("x-request-id", ok, "authorization", "Bearer sk-log"));
        assertThat(r.statusCode()).isEqualTo(200);
        String missing = unique("rl-404");
        assertThat(f.post("/v1/messages", "{\"model\":\"nope\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                Map.of("x-request-id", missing)).statusCode()).isEqualTo(404);
        assertThat(row(ok, Duration.ofSeconds(15))).isEqualTo("chat-openai 200 chat key in>0=true cost>0=true attempts=1 up-openai");
        assertThat(row(missing, Duration.ofSeconds(15))).isEqualTo("null 404 messages anonymous in>0=false cost>0=false attempts=0 null");
    }

    @Test
    void postgresStoppedMidTest_requestsStillServed_rowsArriveOnceBack() throws Exception {
        String version = Files.list(Path.of("/etc/postgresql")).findFirst().map(p -> p.getFileName().toString()).orElse(null);
        assumeTrue(version != null && new java.io.File("/usr/bin/pg_ctlcluster").exists(),
                "pg_ctlcluster is not available to stop and start PostgreSQL");
        String id = unique("rl-down");
        try {
            assertThat(pg(version, "stop")).isZero();
            assumeTrue(!reachable(), "PostgreSQL did not stop");
            long start = System.nanoTime();
            var r = f.post("/v1/chat/completions", "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                    Map.of("x-request-id", id));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        } finally {
            assertThat(pg(version, "start")).isZero();
        }
        assertThat(row(id, Duration.ofSeconds(30))).startsWith("mock-chat 200 chat anonymous");
    }

    private static int pg(String version, String action) throws Exception {
        var p = new ProcessBuilder("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action).inheritIO().start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }
}
