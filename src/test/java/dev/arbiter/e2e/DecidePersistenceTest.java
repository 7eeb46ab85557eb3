package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.db.TestPostgres;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.wire.Json;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A route's learned state and its decisions survive a restart when postgres: is configured. */
class DecidePersistenceTest {
    static final String YAML = TestPostgres.yaml(2) + """
            routes:
              - {name: persist-route, candidates: [chat-openai, chat-anthropic], policy: ucb1}
            """;

    private static JsonNode route(Fixture f) {
        for (JsonNode r : Json.parse(f.get("/admin/routes").body()).get("routes")) if (r.get("route").asText().equals("persist-route")) return r;
        throw new AssertionError("no route");
    }

    private static long pulls(JsonNode route) {
        long n = 0;
        for (JsonNode c : route.get("candidates")) n += c.get("pulls").asLong();
        return n;
    }

    @Test
    void restart_policyStateAndDecisionsRestored() throws Exception {
        assumeThat(TestPostgres.reachable()).as("PostgreSQL at " + TestPostgres.URL).isTrue();
        try (var c = TestPostgres.connect(); var s = c.createStatement()) {
            s.execute("DELETE FROM arbiter_decide_policy WHERE route = 'persist-route'");
        } catch (java.sql.SQLException e) {
            // the table does not exist yet: the first gateway migrates it
        }
        // (with no catalog entries both candidates read as equal quality, so the dearer one is dominated and never chosen)
        // no credential: the anonymous caller, the same on both gateways (a key's caller id is keyed by a secret each
        // gateway draws at start until API keys exist, so a key's feedback across a restart reads as another caller's)
        Map<String, String> mine = Map.of();
        String id;
        JsonNode before;
        try (var f = new Fixture(MockConfig.DEFAULT, YAML, "")) {
            for (int i = 0; i < 5; i++) {
                var r = f.post("/v1/chat/completions", "{\"model\":\"persist-route\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi " + i + "\"}]}", mine);
                assertThat(r.statusCode()).isEqualTo(200);
            }
            var r = f.post("/v1/chat/completions", "{\"model\":\"persist-route\",\"messages\":[{\"role\":\"user\",\"content\":\"last\"}]}", mine);
            id = r.headers().firstValue("x-request-id").orElseThrow();
            var fb = f.post("/v1/feedback", "{\"request_id\":\"" + id + "\",\"score\":0.25}", mine);
            assertThat(fb.statusCode()).isEqualTo(200);
            before = route(f);
            assertThat(pulls(before)).isEqualTo(7);
        }   // closing writes the state
        try (var f = new Fixture(MockConfig.DEFAULT, YAML, "")) {
            JsonNode after = route(f);
            assertThat(after.get("candidates").toString()).isEqualTo(before.get("candidates").toString().replaceAll("\"p95_latency_ms\":[0-9.]+", "\"p95_latency_ms\":null"));
            // the decision made before the restart is still there, for the admin API and for feedback
            var decision = Json.parse(f.get("/admin/decisions/" + id).body());
            assertThat(decision.get("route").asText()).isEqualTo("persist-route");
            var again = f.post("/v1/feedback", "{\"request_id\":\"" + id + "\",\"score\":1,\"thumbs\":\"up\"}", mine);
            assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
            assertThat(Json.parse(again.body()).get("accepted").toString()).isEqualTo("[\"thumbs\"]");   // score was given before the restart
            assertThat(f.post("/v1/feedback", "{\"request_id\":\"" + id + "\",\"score\":1}", Map.of("authorization", "Bearer other")).statusCode())
                    .isEqualTo(404);
        }
    }

    /**
     * A knn route over text and embedding keeps its memory across a restart; the same route restarted with other
     * features (another context length) starts afresh instead of failing on the stored state.
     */
    @Test
    void restart_knnWithEmbedding_restoredAndAChangedShapeIsNot() throws Exception {
        assumeThat(TestPostgres.reachable()).as("PostgreSQL at " + TestPostgres.URL).isTrue();
        try (var c = TestPostgres.connect(); var s = c.createStatement()) {
            s.execute("DELETE FROM arbiter_decide_policy WHERE route IN ('persist-knn', 'persist-knn-next')");
        } catch (java.sql.SQLException e) {
            // the table does not exist yet: the first gateway migrates it
        }
        String embedding = TestPostgres.yaml(2) + """
                routes:
                  - {name: persist-knn, candidates: [chat-openai, chat-anthropic], policy: knn, features: text+embedding}
                  - {name: persist-knn-next, candidates: [chat-openai, chat-anthropic], policy: ucb1}
                """;
        JsonNode before;
        try (var f = new Fixture(MockConfig.DEFAULT, embedding, "")) {
            for (int i = 0; i < 4; i++) {
                var r = f.post("/v1/chat/completions", "{\"model\":\"persist-knn\",\"messages\":[{\"role\":\"user\",\"content\":\"What is " + i + " + 2?\"}]}");
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            }
            assertThat(f.post("/v1/chat/completions", "{\"model\":\"persist-knn-next\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                    .statusCode()).isEqualTo(200);
            before = knn(f, "persist-knn");
            assertThat(pulls(before)).isEqualTo(4);
        }
        try (var f = new Fixture(MockConfig.DEFAULT, embedding, "")) {
            assertThat(pulls(knn(f, "persist-knn"))).isEqualTo(4);
        }
        try (var f = new Fixture(MockConfig.DEFAULT, embedding.replace("text+embedding", "text"), "")) {
            assertThat(pulls(knn(f, "persist-knn"))).isZero();
            assertThat(pulls(knn(f, "persist-knn-next"))).isEqualTo(1);   // the route after it is still restored
            var r = f.post("/v1/chat/completions", "{\"model\":\"persist-knn\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
            assertThat(r.statusCode()).isEqualTo(200);
        }
    }

    private static JsonNode knn(Fixture f, String name) {
        for (JsonNode r : Json.parse(f.get("/admin/routes").body()).get("routes")) if (r.get("route").asText().equals(name)) return r;
        throw new AssertionError("no route");
    }
}
