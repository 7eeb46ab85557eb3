package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import dev.arbiter.wire.Json;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Routes over real HTTP: the chosen model serves every way in, streamed and not; feedback; the admin view. */
class DecideE2eTest {
    static final String ROUTES = """
            routes:
              - {name: auto-quality, candidates: [chat-openai, chat-anthropic], objective: quality-first}
              - {name: auto-cheap, candidates: [chat-openai, chat-anthropic], objective: cost-first}
              - {name: auto-learn, candidates: [chat-openai, chat-anthropic], policy: thompson, objective: {quality: 1, cost: 0.1}}
              - {name: auto-embed, candidates: [chat-openai, chat-anthropic], policy: knn, features: text+embedding}
            catalog:
              - {name: chat-anthropic, provider: anthropic, context-window: 200000, capabilities: [tools, json, streaming], quality: {chat: 0.9, code: 0.9}}
              - {name: chat-openai, provider: openai, context-window: 128000, capabilities: [tools, json, streaming], quality: {chat: 0.6, code: 0.6}}
            """;
    static Fixture f;

    @BeforeAll
    static void start() {
        f = new Fixture(MockConfig.DEFAULT, ROUTES, "");
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static void assertRouted(HttpResponse<String> r, String route, String policy, String model) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-arbiter-route")).contains(route);
        assertThat(r.headers().firstValue("x-arbiter-policy")).contains(policy);
        assertThat(r.headers().firstValue("x-arbiter-model")).contains(model);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void chat_routeName_servedByChosenModel(boolean stream) {
        String body = "{\"model\":\"auto-quality\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
        var r = f.post("/v1/chat/completions", body);
        assertRouted(r, "auto-quality", "score", "chat-anthropic");
        assertThat(r.body()).contains(stream ? "[DONE]" : "\"choices\"");
        var cheap = f.post("/v1/chat/completions", body.replace("auto-quality", "auto-cheap"));
        assertRouted(cheap, "auto-cheap", "score", "chat-openai");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void messages_routeName_servedByChosenModel(boolean stream) {
        String body = "{\"model\":\"auto-cheap\",\"max_tokens\":20,\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
        var r = f.post("/v1/messages", body, Map.of("anthropic-version", "2023-06-01"));
        assertRouted(r, "auto-cheap", "score", "chat-openai");
        assertThat(r.body()).contains(stream ? "message_stop" : "\"content\"");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void responses_routeName_servedByChosenModel(boolean stream) {
        var r = f.post("/v1/responses", "{\"model\":\"auto-quality\",\"stream\":" + stream + ",\"input\":\"Hello\"}");
        assertRouted(r, "auto-quality", "score", "chat-anthropic");
        assertThat(r.body()).contains(stream ? "response.completed" : "\"output\"");
    }

    /** features: text+embedding: the prompt is embedded in process and the policy's context carries it, every way in. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void chat_routeWithEmbeddingFeatures_decidesOnTextAndEmbedding(boolean stream) {
        String prompt = "Janet has 16 eggs and eats 3. How many are left?";
        var r = f.post("/v1/chat/completions", "{\"model\":\"auto-embed\",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}");
        assertRouted(r, "auto-embed", "knn", r.headers().firstValue("x-arbiter-model").orElseThrow());
        var features = Json.parse(f.get("/admin/decisions/" + r.headers().firstValue("x-request-id").orElseThrow()).body()).get("features");
        assertThat(features.size()).isEqualTo(24);   // 8 text features, 16 of the projected embedding
        double norm = 0;
        for (int i = 8; i < 24; i++) norm += features.get(i).asDouble() * features.get(i).asDouble();
        assertThat(norm).isBetween(0.3, 3.0);   // a unit embedding, projected: about unit length, never the zeros of a failure
        var m = f.post("/v1/messages", "{\"model\":\"auto-embed\",\"max_tokens\":20,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}", Map.of("anthropic-version", "2023-06-01"));
        assertRouted(m, "auto-embed", "knn", m.headers().firstValue("x-arbiter-model").orElseThrow());
        var resp = f.post("/v1/responses", "{\"model\":\"auto-embed\",\"stream\":" + stream + ",\"input\":\"" + prompt + "\"}");
        assertRouted(resp, "auto-embed", "knn", resp.headers().firstValue("x-arbiter-model").orElseThrow());
    }

    @Test
    void chat_callerLimitHeaders_tightenTheRoute() {
        String body = "{\"model\":\"auto-quality\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
        // chat-anthropic's estimated cost for this request is about 0.0075 USD (500 output tokens assumed at 15 USD per million), chat-openai 0.001: only the latter fits
        var r = f.post("/v1/chat/completions", body, Map.of("x-arbiter-max-cost", "0.005"));
        assertRouted(r, "auto-quality", "score", "chat-openai");
        var none = f.post("/v1/chat/completions", body, Map.of("x-arbiter-min-quality", "0.95"));
        assertThat(none.statusCode()).isEqualTo(400);
        assertThat(none.body()).contains("no_candidate");
        var bad = f.post("/v1/chat/completions", body, Map.of("x-arbiter-max-cost", "cheap"));
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("x-arbiter-max-cost");
    }

    @Test
    void models_listRoutes() {
        assertThat(f.get("/v1/models").body()).contains("\"auto-quality\"", "\"auto-learn\"", "\"chat-openai\"");
        assertThat(f.get("/v1/models/auto-cheap").statusCode()).isEqualTo(200);
        assertThat(f.get("/v1/models/not-a-route").statusCode()).isEqualTo(404);
    }

    @Test
    void feedback_ownRequest_acceptedOncePerKindAndOthersRefused() {
        var mine = Map.of("authorization", "Bearer caller-a-key");
        var r = f.post("/v1/chat/completions", "{\"model\":\"auto-learn\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", mine);
        assertRouted(r, "auto-learn", "thompson", r.headers().firstValue("x-arbiter-model").orElseThrow());
        String id = r.headers().firstValue("x-request-id").orElseThrow();

        var first = f.post("/v1/feedback", "{\"request_id\":\"" + id + "\",\"thumbs\":\"up\",\"rating\":4,\"comment\":\"good\"}", mine);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(Json.parse(first.body()).get("accepted").toString()).isEqualTo("[\"thumbs\",\"rating\"]");
        var again = f.post("/v1/feedback", "{\"request_id\":\"" + id + "\",\"thumbs\":\"down\"}", mine);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(Json.parse(again.body()).get("accepted").size()).isZero();   // idempotent per request and kind

        var other = f.post("/v1/feedback", "{\"request_id\":\"" + id + "\",\"score\":0}", Map.of("authorization", "Bearer caller-b-key"));
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(f.post("/v1/feedback", "{\"request_id\":\"no-such-request\",\"score\":1}", mine).statusCode()).isEqualTo(404);
        assertThat(f.post("/v1/feedback", "{\"request_id\":\"" + id + "\",\"score\":7}", mine).statusCode()).isEqualTo(400);

        var decision = Json.parse(f.get("/admin/decisions/" + id).body());
        assertThat(decision.get("route").asText()).isEqualTo("auto-learn");
        assertThat(decision.get("candidates").size()).isEqualTo(2);
        assertThat(decision.get("pareto").size()).isEqualTo(2);
        assertThat(decision.get("feedback").toString()).contains("thumbs", "rating");
        var routes = Json.parse(f.get("/admin/routes").body()).get("routes");
        long pulls = 0;
        for (var route : routes) {
            if (route.get("route").asText().equals("auto-learn")) for (var c : route.get("candidates")) pulls += c.get("pulls").asLong();
        }
        assertThat(pulls).isEqualTo(3);   // the answer itself (implicit), then thumbs and rating
        String metrics = f.get("/metrics").body();
        assertThat(metrics).containsPattern("arbiter_decide_decisions_total\\{[^}]*route=\"auto-learn\"[^}]*\\} 1\\.0")
                .containsPattern("arbiter_decide_feedback_total\\{kind=\"thumbs\",route=\"auto-learn\"[^}]*\\} 1\\.0");
    }
}
