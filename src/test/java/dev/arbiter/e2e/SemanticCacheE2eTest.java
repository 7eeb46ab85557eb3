package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.db.TestPostgres;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.wire.Json;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The semantic cache over real HTTP: a paraphrase of a cached question is served the cached answer (whole and
 * streamed), but never to another caller, under another system prompt or earlier turns, for another model, or for a
 * model whose own block turns it off; a purge empties it; a new gateway on the same PostgreSQL rebuilds its index and
 * serves the paraphrase. Each test has its own system prompt, so the tests share one gateway without sharing entries.
 */
@Timeout(180)
class SemanticCacheE2eTest {
    static final String QUESTION = "What is the capital of France?";
    static final String PARAPHRASE = "Which city is the capital of France?";
    static Fixture f;

    static String yaml(String tiers) {
        return yaml(tiers, "arbiter:cache");
    }

    static String yaml(String tiers, String keyPrefix) {
        return "cache: {exact: {ttl: 1h}, semantic: {threshold: 0.80, lookup-timeout: 5s}, tiers: [" + tiers + "], tier-timeout: 1s,"
                + " key-prefix: \"" + keyPrefix + "\"}\n";
    }

    @BeforeAll
    static void start() {
        f = new Fixture(MockConfig.DEFAULT, yaml("memory"), """
                  - name: chat-exact-only
                    cache: {semantic: {enabled: false}}
                    deployments: [{name: up-exact-only, provider: openai, base-url: "{UPSTREAM}/v1", api-key: "k"}]
                """);
        awaitReady(f);
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    /** Waits until the gateway's embedder has loaded and its index is rebuilt (lookups before are plain misses). */
    static void awaitReady(Fixture g) {
        long until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!Json.parse(g.get("/admin/cache").body()).at("/semantic_index/embedder/ready").asBoolean()) {
            assertThat(System.nanoTime()).as("embedder ready within 90 s").isLessThan(until);
            sleep(100);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    static String chat(String model, String system, String text, boolean stream) {
        var body = Json.object().put("model", model).put("max_tokens", 40).put("stream", stream);
        var messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", system);
        messages.addObject().put("role", "user").put("content", text);
        return Json.string(body);
    }

    /** Asks {@code body} as {@code caller}; then waits until its answer is indexed (indexing is off the request's path). */
    static HttpResponse<String> fill(Fixture g, String body, String caller) {
        var r = ask(g, body, caller);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(CacheE2eTest.cache(r)).isEqualTo("miss");
        assertThat(g.gateway.semanticCache().orElseThrow().flush(Duration.ofSeconds(30))).isTrue();
        return r;
    }

    /** {@code caller}: a bearer key (in open mode, its caller id is a keyed hash of it, per gateway), or null: anonymous. */
    static HttpResponse<String> ask(Fixture g, String body, String caller) {
        return g.post("/v1/chat/completions", body, caller == null ? Map.of() : Map.of("authorization", "Bearer " + caller));
    }

    static String content(HttpResponse<String> r) {
        return Json.parse(r.body()).at("/choices/0/message/content").asText();
    }

    static String system() {
        return "You are a geography tutor " + UUID.randomUUID();
    }

    @Test
    void paraphrase_isServedTheCachedAnswer_withItsSimilarity() {
        String system = system();
        var first = fill(f, chat("chat-openai", system, QUESTION, false), "key-A");
        long calls = CacheE2eTest.upstreamCalls(f);
        var near = ask(f, chat("chat-openai", system, PARAPHRASE, false), "key-A");
        assertThat(near.statusCode()).as(near.body()).isEqualTo(200);
        assertThat(CacheE2eTest.cache(near)).matches("semantic-hit; similarity=0\\.(8|9)\\d");
        assertThat(content(near)).isEqualTo(content(first)).isNotBlank();
        assertThat(CacheE2eTest.upstreamCalls(f)).as("the upstream is not asked").isEqualTo(calls);
        assertThat(f.outcomes.getLast().costUsd()).isZero();
        assertThat(f.outcomes.getLast().trace().cache()).contains("semantic-hit");
        JsonNode stats = Json.parse(f.get("/admin/cache").body());
        assertThat(stats.at("/semantic/hits").asLong()).isPositive();
        assertThat(stats.at("/semantic_index/hits").asLong()).isPositive();
        assertThat(stats.at("/semantic_index/entries").asLong()).isPositive();
        assertThat(stats.at("/semantic_index/embedder/model").asText()).isEqualTo("all-minilm-l6-v2-q");
        // an unrelated question in the same context is a miss
        assertThat(CacheE2eTest.cache(ask(f, chat("chat-openai", system, "How do volcanoes form?", false), "key-A"))).isEqualTo("miss");
    }

    @Test
    void adminCache_countsSemanticMisses_onlyForLookupsThatRan() {
        String system = system();
        JsonNode before = Json.parse(f.get("/admin/cache").body());
        fill(f, chat("chat-openai", system, QUESTION, false), "key-M");                        // exact miss, semantic miss
        assertThat(CacheE2eTest.cache(ask(f, chat("chat-openai", system, PARAPHRASE, false), "key-M")))   // semantic hit
                .startsWith("semantic-hit");
        assertThat(CacheE2eTest.cache(ask(f, chat("chat-openai", system, "How do volcanoes form?", false), "key-M")))
                .isEqualTo("miss");                                                              // exact miss, semantic miss
        assertThat(CacheE2eTest.cache(ask(f, chat("chat-openai", system, QUESTION, false), "key-M"))).isEqualTo("hit");
        // a model whose own block turns the semantic cache off: an exact miss, and no semantic lookup at all
        assertThat(CacheE2eTest.cache(ask(f, chat("chat-exact-only", system, QUESTION, false), "key-M"))).isEqualTo("miss");
        // a final turn that is not text alone: cached exactly only, no semantic lookup
        var image = (com.fasterxml.jackson.databind.node.ObjectNode) Json.parse(chat("chat-openai", system, "x", false));
        var parts = ((com.fasterxml.jackson.databind.node.ObjectNode) image.path("messages").get(1)).putArray("content");
        parts.addObject().put("type", "text").put("text", "What is in this picture?");
        parts.addObject().put("type", "image_url").putObject("image_url").put("url", "data:image/png;base64,iVBORw0KGgo=");
        assertThat(CacheE2eTest.cache(ask(f, Json.string(image), "key-M"))).isEqualTo("miss");
        JsonNode after = Json.parse(f.get("/admin/cache").body());
        assertThat(delta(before, after, "/semantic/hits")).as(after.toString()).isEqualTo(1);
        assertThat(delta(before, after, "/semantic/misses")).as(after.toString()).isEqualTo(2);
        assertThat(delta(before, after, "/semantic_index/misses")).isEqualTo(2);
        assertThat(delta(before, after, "/exact/hits")).isEqualTo(1);
        assertThat(delta(before, after, "/exact/misses")).isEqualTo(5);
        assertThat(delta(before, after, "/hits")).as("exact and semantic").isEqualTo(2);
        assertThat(delta(before, after, "/misses")).as("answered upstream").isEqualTo(4);
        double rate = after.at("/semantic/hit_rate").asDouble();
        long h = after.at("/semantic/hits").asLong();
        long m = after.at("/semantic/misses").asLong();
        assertThat(m).isPositive();
        assertThat(rate).isEqualTo((double) h / (h + m));
    }

    static long delta(JsonNode before, JsonNode after, String pointer) {
        return after.at(pointer).asLong() - before.at(pointer).asLong();
    }

    @Test
    void paraphrase_streamed_isServedFromTheSemanticHit() {
        String system = system();
        var first = fill(f, chat("chat-openai", system, QUESTION, false), "key-A");
        var streamed = ask(f, chat("chat-openai", system, PARAPHRASE, true), "key-A");
        assertThat(streamed.statusCode()).as(streamed.body()).isEqualTo(200);
        assertThat(CacheE2eTest.cache(streamed)).startsWith("semantic-hit; similarity=");
        assertThat(CacheE2eTest.streamedText(streamed.body())).isEqualTo(content(first));
        assertThat(streamed.body()).contains("data: [DONE]");
    }

    @Test
    void otherCaller_isNotServed() {
        String system = system();
        fill(f, chat("chat-openai", system, QUESTION, false), "key-A");
        assertThat(CacheE2eTest.cache(ask(f, chat("chat-openai", system, PARAPHRASE, false), "key-B"))).isEqualTo("miss");
        // not even the very same question: the exact cache is per caller too
        assertThat(CacheE2eTest.cache(ask(f, chat("chat-openai", system, QUESTION, false), "key-C"))).isEqualTo("miss");
    }

    @Test
    void otherSystemPromptOrEarlierTurns_areNotServed() {
        String system = system();
        fill(f, chat("chat-openai", system, QUESTION, false), "key-A");
        assertThat(CacheE2eTest.cache(ask(f, chat("chat-openai", system + " (brief)", PARAPHRASE, false), "key-A"))).isEqualTo("miss");
        var conversation = Json.parse(chat("chat-openai", system, PARAPHRASE, false));
        var messages = (com.fasterxml.jackson.databind.node.ArrayNode) conversation.path("messages");
        messages.insertObject(1).put("role", "user").put("content", "Let's talk about Italy.");
        messages.insertObject(2).put("role", "assistant").put("content", "Sure.");
        assertThat(CacheE2eTest.cache(ask(f, Json.string(conversation), "key-A"))).as("another conversation").isEqualTo("miss");
        var sampled = Json.parse(chat("chat-openai", system, PARAPHRASE, false));
        ((com.fasterxml.jackson.databind.node.ObjectNode) sampled).put("max_tokens", 41);
        assertThat(CacheE2eTest.cache(ask(f, Json.string(sampled), "key-A"))).as("other parameters").isEqualTo("miss");
    }

    @Test
    void otherModel_orAModelThatTurnsItOff_isNotServed() {
        String system = system();
        fill(f, chat("chat-openai", system, QUESTION, false), "key-A");
        assertThat(CacheE2eTest.cache(ask(f, chat("chat-anthropic", system, PARAPHRASE, false), "key-A"))).isEqualTo("miss");
        f.post("/v1/chat/completions", chat("chat-exact-only", system, QUESTION, false), Map.of("authorization", "Bearer key-A"));
        f.gateway.semanticCache().orElseThrow().flush(Duration.ofSeconds(30));
        assertThat(CacheE2eTest.cache(ask(f, chat("chat-exact-only", system, PARAPHRASE, false), "key-A"))).isEqualTo("miss");
        assertThat(CacheE2eTest.cache(ask(f, chat("chat-exact-only", system, QUESTION, false), "key-A"))).as("exact still").isEqualTo("hit");
    }

    @Test
    void purge_removesSemanticEntries() {
        String system = system();
        fill(f, chat("chat-openai", system, QUESTION, false), "key-P");
        var del = f.send(HttpRequest.newBuilder(f.uri("/admin/cache?model=chat-openai&namespace=" + callerOf("key-P"))).DELETE().build());
        assertThat(del.statusCode()).as(del.body()).isEqualTo(200);
        assertThat(Json.parse(del.body()).at("/purged/semantic").asLong()).isEqualTo(1);
        assertThat(CacheE2eTest.cache(ask(f, chat("chat-openai", system, PARAPHRASE, false), "key-P"))).isEqualTo("miss");
    }

    @Test
    void lookupsNotReadyOrLate_arePlainMisses_andTheirAnswersAreStillIndexed() {
        // 1 ms, and prompts of some 400 words: embedding one takes longer, so these lookups are late
        String context = "Here are my travel notes. " + "We walked along the river, visited two museums and a market. ".repeat(40);
        try (var g = new Fixture(MockConfig.DEFAULT, "cache: {exact: {ttl: 1h}, semantic: {threshold: 0.80, lookup-timeout: 1ms, max-prompt-chars: 10000}}\n", "")) {
            String system = system();
            // at once after start: the embedder may still be loading, and the request does not wait for it
            var early = ask(g, chat("chat-openai", system, "How do volcanoes form?", false), null);
            assertThat(early.statusCode()).as(early.body()).isEqualTo(200);
            assertThat(CacheE2eTest.cache(early)).isEqualTo("miss");
            awaitReady(g);
            fill(g, chat("chat-openai", system, context + QUESTION, false), null);
            var late = ask(g, chat("chat-openai", system, context + PARAPHRASE, false), null);
            assertThat(late.statusCode()).as(late.body()).isEqualTo(200);
            assertThat(CacheE2eTest.cache(late)).isEqualTo("miss");
            g.gateway.semanticCache().orElseThrow().flush(Duration.ofSeconds(30));
            JsonNode stats = Json.parse(g.get("/admin/cache").body()).path("semantic_index");
            assertThat(stats.path("timeouts").asLong()).as(stats.toString()).isGreaterThanOrEqualTo(2);
            assertThat(stats.path("entries").asLong()).as("embedded off the request's path: " + stats).isEqualTo(3);
            assertThat(stats.path("failures").asLong()).isZero();
        }
    }

    /** The caller id the gateway gives a bearer key (the scope of its answers), as the trace reports it. */
    static String callerOf(String key) {
        ask(f, chat("mock-chat", "who", "am I", false), key);
        return f.outcomes.getLast().caller();
    }

    @Test
    void newGatewayOnTheSameRedis_rebuildsItsIndex_andServesTheParaphrase() {
        String yaml = yaml("memory, redis", "arbiter-semantic-e2e-" + UUID.randomUUID())
                + "redis: {url: \"redis://127.0.0.1:6379\", timeout: 1s, connect-timeout: 2s}\n";
        String system = system();
        String first;
        try (var a = new Fixture(MockConfig.DEFAULT, yaml, "")) {
            awaitReady(a);
            first = content(fill(a, chat("chat-openai", system, QUESTION, false), null));
            a.gateway.cache().orElseThrow().flush(Duration.ofSeconds(10));
            assertThat(Json.parse(a.get("/admin/cache").body()).at("/semantic_index/persisted/redis/failures").asLong()).isZero();
        }
        try (var b = new Fixture(MockConfig.DEFAULT, yaml, "")) {
            awaitReady(b);
            assertThat(Json.parse(b.get("/admin/cache").body()).at("/semantic_index/rebuilt").asLong()).isEqualTo(1);
            var near = ask(b, chat("chat-openai", system, PARAPHRASE, true), null);
            assertThat(CacheE2eTest.cache(near)).as(b.get("/admin/cache").body()).startsWith("semantic-hit; similarity=");
            assertThat(CacheE2eTest.streamedText(near.body())).isEqualTo(first);
            var del = b.send(HttpRequest.newBuilder(b.uri("/admin/cache")).DELETE().build());
            assertThat(Json.parse(del.body()).at("/purged/semantic").asLong()).isEqualTo(1);
        }
        try (var c = new Fixture(MockConfig.DEFAULT, yaml, "")) {
            awaitReady(c);
            assertThat(Json.parse(c.get("/admin/cache").body()).at("/semantic_index/rebuilt").asLong()).as("purged in Redis too").isZero();
        }
    }

    @Test
    void redisStoppedMidTest_semanticHitsGoOnFromMemory_andRequestsNeverFail() throws Exception {
        assumeTrue(dev.arbiter.db.TestRedis.available(), "redis-server on the PATH");
        try (var server = dev.arbiter.db.TestRedis.start();
             var g = new Fixture(MockConfig.DEFAULT, yaml("memory, redis", "arbiter-semantic-down") + "redis: {url: \"" + server.url()
                     + "\", timeout: 500ms, connect-timeout: 500ms}\n", "")) {
            awaitReady(g);
            String system = system();
            var first = fill(g, chat("chat-openai", system, QUESTION, false), null);
            server.stop();
            long start = System.nanoTime();
            for (int i = 0; i < 4; i++) {
                var near = ask(g, chat("chat-openai", system, PARAPHRASE, false), null);
                assertThat(CacheE2eTest.cache(near)).as(near.body()).startsWith("semantic-hit; similarity=");
                assertThat(content(near)).isEqualTo(content(first));
                var other = ask(g, chat("chat-openai", system, "Tell me about tides, take " + i, false), null);
                assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
                assertThat(CacheE2eTest.cache(other)).isEqualTo("miss");
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start).toMillis()).as("8 requests, no stall").isLessThan(10_000);
            assertThat(g.gateway.semanticCache().orElseThrow().flush(Duration.ofSeconds(60))).isTrue();
            JsonNode stats = Json.parse(g.get("/admin/cache").body()).path("semantic_index");
            assertThat(stats.at("/persisted/redis/failures").asLong()).as(stats.toString()).isPositive();
            assertThat(stats.path("entries").asLong()).as("indexed in memory all the same").isEqualTo(5);
            server.up();
        }
    }

    private static boolean persisted(long since) {
        try (var c = TestPostgres.connect(); var ps = c.prepareStatement(
                "SELECT count(*) FROM arbiter_semantic_entry WHERE model = 'chat-openai' AND prompt = ? AND created_ms >= ?")) {
            ps.setString(1, QUESTION);
            ps.setLong(2, since);
            try (var rs = ps.executeQuery()) {
                return rs.next() && rs.getLong(1) > 0;
            }
        } catch (java.sql.SQLException e) {
            return false;   // the table is not there yet
        }
    }

    @Test
    void newGatewayOnTheSamePostgres_rebuildsItsIndex_andServesTheParaphrase() {
        assumeTrue(TestPostgres.reachable(), "PostgreSQL on 127.0.0.1:5432");
        String yaml = yaml("memory, postgres") + TestPostgres.yaml(2);
        String system = system();
        String first;
        long since = System.currentTimeMillis();
        try (var a = new Fixture(MockConfig.DEFAULT, yaml, "")) {
            awaitReady(a);
            // anonymous: a bearer key's caller id is keyed per gateway process in open mode, the anonymous one is not
            first = content(fill(a, chat("chat-openai", system, QUESTION, false), null));
            a.gateway.cache().orElseThrow().flush(Duration.ofSeconds(10));
            assertThat(persisted(since)).isTrue();
        }
        try (var b = new Fixture(MockConfig.DEFAULT, yaml, "")) {
            awaitReady(b);
            assertThat(Json.parse(b.get("/admin/cache").body()).at("/semantic_index/rebuilt").asLong()).isPositive();
            long calls = CacheE2eTest.upstreamCalls(b);
            var near = ask(b, chat("chat-openai", system, PARAPHRASE, false), null);
            assertThat(CacheE2eTest.cache(near)).as(b.get("/admin/cache").body()).startsWith("semantic-hit; similarity=");
            assertThat(content(near)).isEqualTo(first);
            assertThat(CacheE2eTest.upstreamCalls(b)).isEqualTo(calls);
        }
    }
}
