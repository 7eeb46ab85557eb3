package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arbiter.db.TestPostgres;
import dev.arbiter.db.TestRedis;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.wire.Json;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Gateways sharing the cache's tiers: an answer filled through one gateway is a hit at another (Redis; PostgreSQL
 * after a restart), and a gateway whose Redis goes away mid-test keeps serving, from memory and from upstream,
 * without stalling.
 */
class CacheSharedTiersTest {
    static String cacheYaml(String prefix, String tiers, String redisUrl, boolean postgres) {
        return "cache: {exact: {ttl: 1h}, tiers: [" + tiers + "], key-prefix: \"" + prefix + "\", tier-timeout: 200ms, tier-recovery: 500ms}\n"
                + (redisUrl == null ? "" : "redis: {url: \"" + redisUrl + "\", timeout: 1s, connect-timeout: 2s}\n")
                + (postgres ? TestPostgres.yaml(2) : "");
    }

    /** B's answer to {@code body} once it is a hit from the shared tier (A filling again while it is not), within 15 s. */
    static java.net.http.HttpResponse<String> awaitHit(Fixture a, Fixture b, String body) {
        long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (true) {
            a.gateway.cache().orElseThrow().flush(Duration.ofSeconds(5));
            var r = b.post("/v1/chat/completions", body, java.util.Map.of("cache-control", "no-store"));
            if ("hit".equals(CacheE2eTest.cache(r)) || System.nanoTime() > until) return r;
            a.post("/v1/chat/completions", body, java.util.Map.of("cache-control", "no-cache"));
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void twoGatewaysSharingRedis_aHitFilledByOneIsServedByTheOther() {
        String yaml = cacheYaml("arbiter-cache-e2e-" + UUID.randomUUID(), "memory, redis", "redis://127.0.0.1:6379", false);
        try (var a = new Fixture(MockConfig.DEFAULT, yaml, ""); var b = new Fixture(MockConfig.DEFAULT, yaml, "")) {
            String body = CacheE2eTest.chat("chat-openai", "shared between nodes " + UUID.randomUUID(), true);
            assertThat(CacheE2eTest.cache(a.post("/v1/chat/completions", body))).isEqualTo("miss");
            // B looks with no-store, so a miss there stores nothing in B's own memory; until both have connected to
            // Redis (the machine may be loaded) A fills again
            var atB = awaitHit(a, b, body);
            assertThat(CacheE2eTest.cache(atB)).isEqualTo("hit");
            assertThat(CacheE2eTest.streamedText(atB.body())).isNotBlank();
            long calls = CacheE2eTest.upstreamCalls(b);
            assertThat(CacheE2eTest.cache(b.post("/v1/chat/completions", body))).isEqualTo("hit");
            assertThat(CacheE2eTest.upstreamCalls(b)).as("B's upstream never asked").isEqualTo(calls);
            // and whole, in another format, at B
            var whole = b.post("/v1/messages", CacheE2eTest.messages("chat-openai", Json.parse(body).at("/messages/0/content").asText(), false),
                    java.util.Map.of("anthropic-version", "2023-06-01"));
            assertThat(CacheE2eTest.cache(whole)).isEqualTo("hit");

        }
    }

    private static boolean stored(long since) {
        try (var c = TestPostgres.connect(); var ps = c.prepareStatement(
                "SELECT count(*) FROM arbiter_cache_entry WHERE model = 'chat-openai' AND created_ms >= ?")) {
            ps.setLong(1, since);
            try (var rs = ps.executeQuery()) {
                return rs.next() && rs.getLong(1) > 0;
            }
        } catch (java.sql.SQLException e) {
            return false;   // the table is not there yet
        }
    }

    @Test
    void postgresTier_servesANewGateway_afterTheFirstStopped() {
        assumeTrue(TestPostgres.reachable(), "PostgreSQL on 127.0.0.1:5432");
        String yaml = cacheYaml("unused", "memory, postgres", null, true);
        String body = CacheE2eTest.chat("chat-openai", "kept across restarts " + UUID.randomUUID(), false);
        String first;
        long since = System.currentTimeMillis();
        try (var a = new Fixture(MockConfig.DEFAULT, yaml, "")) {
            first = a.post("/v1/chat/completions", body).body();
            // A's first write may come before it has migrated its schema (the machine may be loaded): fill until stored
            long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (!stored(since) && System.nanoTime() < until) {
                a.gateway.cache().orElseThrow().flush(Duration.ofSeconds(5));
                if (!stored(since)) a.post("/v1/chat/completions", body, java.util.Map.of("cache-control", "no-cache"));
            }
            assertThat(stored(since)).isTrue();
        }
        try (var b = new Fixture(MockConfig.DEFAULT, yaml, "")) {
            // no-store: a miss while B still migrates its schema stores nothing; B's first lookups may find the tier not ready
            long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            var r = b.post("/v1/chat/completions", body, java.util.Map.of("cache-control", "no-store"));
            while (!"hit".equals(CacheE2eTest.cache(r)) && System.nanoTime() < until) {
                r = b.post("/v1/chat/completions", body, java.util.Map.of("cache-control", "no-store"));
            }
            assertThat(CacheE2eTest.cache(r)).as(b.get("/admin/cache").body()).isEqualTo("hit");
            assertThat(Json.parse(r.body()).at("/choices/0/message/content").asText())
                    .isEqualTo(Json.parse(first).at("/choices/0/message/content").asText());
            long calls = CacheE2eTest.upstreamCalls(b);
            assertThat(CacheE2eTest.cache(b.post("/v1/chat/completions", body))).isEqualTo("hit");
            assertThat(CacheE2eTest.upstreamCalls(b)).isEqualTo(calls);
            var stats = Json.parse(b.get("/admin/cache").body());
            assertThat(stats.at("/tiers/postgres").isObject()).isTrue();
            assertThat(stats.at("/entries").asLong()).as("promoted to memory").isEqualTo(1);
        }
    }

    @Test
    void redisStoppedMidTest_theGatewayKeepsServing() throws Exception {
        assumeTrue(TestRedis.available(), "redis-server on the PATH");
        try (var server = TestRedis.start();
             var g = new Fixture(MockConfig.DEFAULT, cacheYaml("arbiter-cache-e2e", "memory, redis", server.url(), false), "")) {
            String kept = CacheE2eTest.chat("chat-openai", "kept while Redis is down", false);
            g.post("/v1/chat/completions", kept);
            server.stop();
            long start = System.nanoTime();
            for (int i = 0; i < 8; i++) {
                var r = g.post("/v1/chat/completions", CacheE2eTest.chat("chat-openai", "while down " + i, false));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(CacheE2eTest.cache(r)).isEqualTo("miss");
                assertThat(CacheE2eTest.cache(g.post("/v1/chat/completions", kept))).isEqualTo("hit");
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start).toMillis()).as("16 requests, no stall").isLessThan(5_000);
            assertThat(Json.parse(g.get("/admin/cache").body()).at("/tiers/redis/state").asText()).isIn("open", "half_open");
            server.up();
        }
    }

    /** GET /v1/responses/{id} at {@code g} until it is found (the other node's write is asynchronous), within 15 s. */
    static java.net.http.HttpResponse<String> awaitStored(Fixture g, String id) {
        long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (true) {
            var r = g.get("/v1/responses/" + id);
            if (r.statusCode() == 200 || System.nanoTime() > until) return r;
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void storedResponses_continueOnAnotherGateway_throughRedis() {
        String yaml = cacheYaml("arbiter-cache-e2e-" + UUID.randomUUID(), "memory, redis", "redis://127.0.0.1:6379", false);
        try (var a = new Fixture(MockConfig.DEFAULT, yaml, ""); var b = new Fixture(MockConfig.DEFAULT, yaml, "")) {
            var first = a.post("/v1/responses", "{\"model\":\"chat-openai\",\"input\":\"the code word is TANGERINE-" + UUID.randomUUID() + "\"}");
            assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
            String id = Json.parse(first.body()).path("id").asText();
            assertThat(id).startsWith("resp_arb_");
            assertThat(awaitStored(b, id).statusCode()).isEqualTo(200);
            var next = b.post("/v1/responses", "{\"model\":\"chat-openai\",\"previous_response_id\":\"" + id + "\",\"input\":\"and now?\"}");
            assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
            assertThat(b.upstream.stats().lastBody()).contains("TANGERINE");
            // another caller's id is not found there either
            var other = b.send(java.net.http.HttpRequest.newBuilder(b.uri("/v1/responses/" + id))
                    .header("authorization", "Bearer someone-else").GET().build());
            assertThat(other.statusCode()).isEqualTo(404);
            var deleted = b.send(java.net.http.HttpRequest.newBuilder(b.uri("/v1/responses/" + id)).DELETE().build());
            assertThat(deleted.statusCode()).isEqualTo(200);
            assertThat(a.get("/v1/responses/" + id).statusCode()).as("A still holds it in memory").isEqualTo(200);
        }
    }

    @Test
    void storedResponses_surviveARestart_throughPostgres() {
        assumeTrue(TestPostgres.reachable(), "PostgreSQL on 127.0.0.1:5432");
        String yaml = cacheYaml("unused", "memory, postgres", null, true);
        String id;
        try (var a = new Fixture(MockConfig.DEFAULT, yaml, "")) {
            var first = a.post("/v1/responses", "{\"model\":\"chat-openai\",\"input\":\"keep me across restarts\"}");
            id = Json.parse(first.body()).path("id").asText();
            // the write is asynchronous and the schema may still be migrating on a loaded machine: wait until it is there
            long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (!storedResponse(id) && System.nanoTime() < until) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
            assertThat(storedResponse(id)).isTrue();
        }
        try (var b = new Fixture(MockConfig.DEFAULT, yaml, "")) {
            var r = awaitStored(b, id);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(Json.parse(r.body()).path("id").asText()).isEqualTo(id);
        }
    }

    private static boolean storedResponse(String id) {
        try (var c = TestPostgres.connect(); var ps = c.prepareStatement("SELECT count(*) FROM arbiter_stored_response WHERE id = ?")) {
            ps.setString(1, id);
            try (var rs = ps.executeQuery()) {
                return rs.next() && rs.getLong(1) > 0;
            }
        } catch (java.sql.SQLException e) {
            return false;
        }
    }
}
