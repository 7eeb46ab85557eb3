package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.config.ConfigException;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockUpstream;
import dev.arbiter.wire.Json;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The semantic cache with an upstream embeddings model ({@code cache.semantic.model: {upstream: NAME}}), over real
 * HTTP against {@code mock-upstream}. The mock's embeddings are hashes of the text, not meanings: a paraphrase is as
 * far from the original as any other text, so these tests prove the plumbing: the same final user turn in a request
 * with another exact key is a semantic hit at similarity 1.00, each lookup is one {@code /v1/embeddings} call to the
 * configured model's deployment, an embeddings upstream that fails makes lookups misses (never errors or stalls), and
 * a model that is not a configured embeddings model is refused at start.
 */
@Timeout(120)
class SemanticCacheUpstreamTest {
    static final String EMBEDDINGS = "/v1/embeddings";

    static String cacheYaml(String model, String more) {
        return "cache: {exact: {ttl: 1h}, semantic: {threshold: 0.99, lookup-timeout: 3s, model: " + model + more + "}}\n";
    }

    /** A model named {@code name} with embeddings: true on a deployment of the mock at {@code port}. */
    static String embeddingsModel(String name, int port) {
        return """
                  - name: %s
                    embeddings: true
                    deployments: [{name: %s-up, provider: openai, base-url: "http://127.0.0.1:%d/v1", api-key: "k-embed", timeout: 2s}]
                """.formatted(name, name, port);
    }

    /** A chat whose final user turn is {@code lines} joined by newlines: as one text part, or as one part per line. */
    static String chat(String system, boolean parts, String... lines) {
        var body = Json.object().put("model", "chat-openai").put("max_tokens", 40);
        var messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", system);
        ObjectNode user = messages.addObject().put("role", "user");
        if (parts) {
            var content = user.putArray("content");
            for (String l : lines) content.addObject().put("type", "text").put("text", l);
        } else {
            user.put("content", String.join("\n", lines));
        }
        return Json.string(body);
    }

    static long calls(MockUpstream u, String path) {
        return u.stats().requests().getOrDefault(path, 0L);
    }

    static JsonNode stats(Fixture g) {
        return Json.parse(g.get("/admin/cache").body());
    }

    @Test
    void sameTurnInAnotherRequest_isASemanticHit_andEachLookupIsOneEmbeddingsCallThroughTheConfiguredModel() {
        try (var g = new Fixture(MockConfig.DEFAULT, cacheYaml("{upstream: embed-openai}", ""), "")) {
            SemanticCacheE2eTest.awaitReady(g);
            assertThat(stats(g).at("/semantic_index/embedder/model").asText()).isEqualTo("upstream:embed-openai");
            String system = "You are a tutor " + UUID.randomUUID();
            long embeds = calls(g.upstream, EMBEDDINGS);
            var first = SemanticCacheE2eTest.fill(g, chat(system, false, "Name three rivers.", "Keep it short."), null);
            assertThat(calls(g.upstream, EMBEDDINGS)).as("the lookup's vector is reused to index the answer").isEqualTo(embeds + 1);
            long chats = calls(g.upstream, "/v1/chat/completions");
            // the same text as two parts: another exact key, the same final user turn
            var near = SemanticCacheE2eTest.ask(g, chat(system, true, "Name three rivers.", "Keep it short."), null);
            assertThat(near.statusCode()).as(near.body()).isEqualTo(200);
            assertThat(CacheE2eTest.cache(near)).isEqualTo("semantic-hit; similarity=1.00");
            assertThat(SemanticCacheE2eTest.content(near)).isEqualTo(SemanticCacheE2eTest.content(first));
            assertThat(calls(g.upstream, "/v1/chat/completions")).isEqualTo(chats);
            assertThat(calls(g.upstream, EMBEDDINGS)).as("one embeddings call per lookup").isEqualTo(embeds + 2);
            var other = SemanticCacheE2eTest.ask(g, chat(system, false, "Name three mountains."), null);
            assertThat(CacheE2eTest.cache(other)).isEqualTo("miss");
            JsonNode s = stats(g);
            assertThat(s.at("/semantic/hits").asLong()).isEqualTo(1);
            assertThat(s.at("/semantic/misses").asLong()).isEqualTo(2);
            assertThat(s.at("/semantic_index/failures").asLong()).isZero();
            assertThat(g.outcomes.stream().map(o -> o.trace().cache()).toList()).contains(java.util.Optional.of("semantic-hit"));
        }
    }

    @Test
    void embeddingsUpstreamDown_lookupsAreMisses_andRequestsAreServed() {
        var side = MockUpstream.start("127.0.0.1", 0, MockConfig.DEFAULT);
        try (var g = new Fixture(MockConfig.DEFAULT, cacheYaml("{upstream: embed-side, timeout: 1s}", ""), embeddingsModel("embed-side", side.port()))) {
            SemanticCacheE2eTest.awaitReady(g);
            String system = "You are a tutor " + UUID.randomUUID();
            SemanticCacheE2eTest.fill(g, chat(system, false, "Name three lakes.", "Keep it short."), null);
            side.stop();
            long start = System.nanoTime();
            var near = SemanticCacheE2eTest.ask(g, chat(system, true, "Name three lakes.", "Keep it short."), null);
            assertThat(near.statusCode()).as(near.body()).isEqualTo(200);
            assertThat(CacheE2eTest.cache(near)).isEqualTo("miss");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("bounded by the lookup").isLessThan(Duration.ofSeconds(10));
            JsonNode s = stats(g);
            assertThat(s.at("/semantic/misses").asLong()).as(s.toString()).isEqualTo(2);
            assertThat(s.at("/semantic/hits").asLong()).isZero();
            assertThat(s.at("/semantic_index/failures").asLong()).as(s.toString()).isPositive();
            assertThat(near.body()).doesNotContain("k-embed");
        } finally {
            side.stop();
        }
    }

    @Test
    void embeddingsUpstreamDownAtStart_isTriedAgain_andRequestsAreServedMeanwhile() {
        var side = MockUpstream.start("127.0.0.1", 0, MockConfig.DEFAULT);
        int port = side.port();
        side.stop();
        try (var g = new Fixture(MockConfig.DEFAULT, cacheYaml("{upstream: embed-gone, timeout: 500ms}", ""), embeddingsModel("embed-gone", port))) {
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (stats(g).at("/semantic_index/embedder/load_failures").asLong() < 1) {
                assertThat(System.nanoTime()).as("a failed load within 20 s").isLessThan(until);
                SemanticCacheE2eTest.sleep(100);
            }
            var r = SemanticCacheE2eTest.ask(g, chat("s", false, "Name three seas."), null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(CacheE2eTest.cache(r)).isEqualTo("miss");
            JsonNode s = stats(g);
            assertThat(s.at("/semantic_index/embedder/state").asText()).isEqualTo("loading");
            assertThat(s.at("/semantic/misses").asLong()).as("not ready: no lookup ran").isZero();
        }
    }

    @Test
    void upstreamThatIsNotAConfiguredEmbeddingsModel_isRefusedAtStart() {
        assertThatThrownBy(() -> new Fixture(MockConfig.DEFAULT, cacheYaml("{upstream: chat-openai}", ""), "").close())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cache.semantic.model.upstream: chat-openai (expected: the name of a configured model with embeddings: true;"
                        + " this is a chat model: it has no embeddings: true)");
        assertThatThrownBy(() -> new Fixture(MockConfig.DEFAULT, cacheYaml("{upstream: no-such-model}", ""), "").close())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cache.semantic.model.upstream: no-such-model")
                .hasMessageContaining("this is not a configured model");
        assertThatThrownBy(() -> new Fixture(MockConfig.DEFAULT, cacheYaml("{dimensions: 3}", ""), "").close())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cache.semantic.model.upstream");
        assertThatThrownBy(() -> new Fixture(MockConfig.DEFAULT, cacheYaml("{upstream: embed-openai, timeout: 0s}", ""), "").close())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cache.semantic.model.timeout");
        assertThatThrownBy(() -> new Fixture(MockConfig.DEFAULT, cacheYaml("bge-huge", ""), "").close())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cache.semantic.model")
                .hasMessageContaining("{upstream: MODEL}");
    }
}
