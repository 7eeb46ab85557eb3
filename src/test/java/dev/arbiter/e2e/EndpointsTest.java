package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.wire.Json;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every endpoint over loopback HTTP, streaming and not, through both upstream wire formats and in process. */
class EndpointsTest {
    static Fixture f;

    @BeforeAll
    static void start() {
        f = new Fixture();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    static JsonNode json(HttpResponse<String> r) {
        return Json.parse(r.body());
    }

    /** The data lines of an SSE body, [DONE] included; with their event names when {@code named}. */
    static List<String> sseData(String body) {
        var out = new ArrayList<String>();
        for (String line : body.split("\n")) if (line.startsWith("data: ")) out.add(line.substring(6));
        return out;
    }

    static List<String> sseEvents(String body) {
        var out = new ArrayList<String>();
        for (String line : body.split("\n")) if (line.startsWith("event: ")) out.add(line.substring(7));
        return out;
    }

    static String chatText(String sse) {
        var sb = new StringBuilder();
        for (String d : sseData(sse)) {
            if (d.equals("[DONE]")) continue;
            JsonNode c = Json.parse(d).path("choices").path(0).path("delta").path("content");
            if (c.isTextual()) sb.append(c.asText());
        }
        return sb.toString();
    }

    static final String CHAT = """
            {"model":"%s","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"Say hello"}],"max_tokens":50%s}""";

    @ParameterizedTest
    @ValueSource(strings = {"chat-openai", "chat-anthropic", "mock-chat"})
    void chat_nonStreaming_answersInChatFormatWithServedHeaders(String model) {
        var r = f.post("/v1/chat/completions", CHAT.formatted(model, ""));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode b = json(r);
        assertThat(b.get("object").asText()).isEqualTo("chat.completion");
        assertThat(b.at("/choices/0/message/role").asText()).isEqualTo("assistant");
        assertThat(b.at("/choices/0/message/content").asText()).isNotBlank();
        assertThat(b.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(b.at("/usage/prompt_tokens").asInt()).isPositive();
        assertThat(b.at("/usage/completion_tokens").asInt()).isPositive();
        assertThat(r.headers().firstValue("x-arbiter-model")).hasValue(model);
        assertThat(r.headers().firstValue("x-arbiter-deployment")).isPresent();
        assertThat(r.headers().firstValue("x-arbiter-provider")).isPresent();
        assertThat(r.headers().firstValue("x-request-id")).isPresent();
        assertThat(r.headers().firstValue("x-arbiter-cost-usd")).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"chat-openai", "chat-anthropic", "mock-chat"})
    void chat_streaming_chunksThenUsageThenDone(String model) {
        var r = f.post("/v1/chat/completions", CHAT.formatted(model, ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        var data = sseData(r.body());
        assertThat(data.getLast()).isEqualTo("[DONE]");
        assertThat(chatText(r.body())).isNotBlank();
        JsonNode usage = Json.parse(data.get(data.size() - 2));
        assertThat(usage.get("choices")).isEmpty();
        assertThat(usage.at("/usage/completion_tokens").asInt()).isPositive();
        for (String d : data.subList(0, data.size() - 1)) {
            assertThat(Json.parse(d).get("object").asText()).isEqualTo("chat.completion.chunk");
        }
    }

    @Test
    void chat_streamingWithoutUsageRequest_noUsageChunk() {
        var r = f.post("/v1/chat/completions", CHAT.formatted("chat-openai", ",\"stream\":true"));
        assertThat(r.statusCode()).isEqualTo(200);
        for (String d : sseData(r.body())) {
            if (!d.equals("[DONE]")) assertThat(Json.parse(d).get("choices")).isNotEmpty();
        }
    }

    @Test
    void chat_passThrough_forwardsUnknownFieldsAndRewritesOnlyTheModel() {
        var r = f.post("/v1/chat/completions", """
                {"model":"chat-openai","messages":[{"role":"user","content":"hi"}],"seed":7,"x_custom":{"a":[1,2]},"logprobs":true}""");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode sent = Json.parse(f.upstream.stats().lastBody());
        assertThat(sent.get("seed").asInt()).isEqualTo(7);
        assertThat(sent.get("x_custom").toString()).isEqualTo("{\"a\":[1,2]}");
        assertThat(sent.get("logprobs").asBoolean()).isTrue();
        assertThat(f.upstream.stats().lastHeaders()).containsEntry("authorization", "Bearer " + Fixture.OPENAI_KEY);
    }

    static final String MESSAGES = """
            {"model":"%s","max_tokens":64,"system":"be brief","messages":[{"role":"user","content":"Say hello"}]%s}""";

    @ParameterizedTest
    @ValueSource(strings = {"chat-anthropic", "chat-openai", "mock-chat"})
    void messages_nonStreaming_answersInAnthropicFormat(String model) {
        var r = f.post("/v1/messages", MESSAGES.formatted(model, ""), Map.of("anthropic-version", "2023-06-01"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode b = json(r);
        assertThat(b.get("type").asText()).isEqualTo("message");
        assertThat(b.get("role").asText()).isEqualTo("assistant");
        assertThat(b.at("/content/0/type").asText()).isEqualTo("text");
        assertThat(b.at("/content/0/text").asText()).isNotBlank();
        assertThat(b.get("stop_reason").asText()).isEqualTo("end_turn");
        assertThat(b.at("/usage/input_tokens").asInt()).isPositive();
        assertThat(b.at("/usage/output_tokens").asInt()).isPositive();
    }

    @ParameterizedTest
    @ValueSource(strings = {"chat-anthropic", "chat-openai", "mock-chat"})
    void messages_streaming_exactAnthropicEventSequence(String model) {
        var r = f.post("/v1/messages?beta=true", MESSAGES.formatted(model, ",\"stream\":true"), Map.of("anthropic-version", "2023-06-01"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        var events = sseEvents(r.body()).stream().filter(e -> !e.equals("ping")).toList();
        assertThat(events.getFirst()).isEqualTo("message_start");
        assertThat(events).contains("content_block_start", "content_block_delta", "content_block_stop", "message_delta");
        assertThat(events.getLast()).isEqualTo("message_stop");
        JsonNode start = Json.parse(sseData(r.body()).getFirst());
        assertThat(start.at("/message/usage/input_tokens").asInt()).isPositive();
        var text = new StringBuilder();
        for (String d : sseData(r.body())) {
            JsonNode n = Json.parse(d);
            if ("content_block_delta".equals(n.path("type").asText())) text.append(n.at("/delta/text").asText());
        }
        assertThat(text.toString()).isNotBlank();
    }

    @Test
    void messages_toAnthropic_forwardsVersionAndBetaHeadersButNotClientKey() {
        var r = f.post("/v1/messages", MESSAGES.formatted("chat-anthropic", ""),
                Map.of("anthropic-version", "2023-06-01", "anthropic-beta", "interleaved-thinking-2025-05-14", "x-api-key", "client-key-xyz"));
        assertThat(r.statusCode()).isEqualTo(200);
        var h = f.upstream.stats().lastHeaders();
        assertThat(h).containsEntry("anthropic-version", "2023-06-01").containsEntry("anthropic-beta", "interleaved-thinking-2025-05-14")
                .containsEntry("x-api-key", Fixture.ANTHROPIC_KEY);
        assertThat(h.values()).noneMatch(v -> v.contains("client-key-xyz"));
    }

    @Test
    void messages_aliasWildcard_resolvesToLogicalModel() {
        var r = f.post("/v1/messages", MESSAGES.formatted("claude-sonnet-4-5-20250929", ""));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-arbiter-model")).hasValue("chat-anthropic");
    }

    @ParameterizedTest
    @ValueSource(strings = {"chat-openai", "chat-anthropic", "mock-chat"})
    void completions_legacy_textCompletionStreamingAndNot(String model) {
        var r = f.post("/v1/completions", "{\"model\":\"" + model + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":8}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r).get("object").asText()).isEqualTo("text_completion");
        assertThat(json(r).at("/choices/0/text").asText()).isNotBlank();
        var s = f.post("/v1/completions", "{\"model\":\"" + model + "\",\"prompt\":\"Once\",\"max_tokens\":8,\"stream\":true}");
        assertThat(s.statusCode()).as(s.body()).isEqualTo(200);
        var data = sseData(s.body());
        assertThat(data.getLast()).isEqualTo("[DONE]");
        assertThat(Json.parse(data.getFirst()).get("object").asText()).isEqualTo("text_completion");
    }

    @ParameterizedTest
    @ValueSource(strings = {"embed-openai", "mock-embedding"})
    void embeddings_stringAndArray(String model) {
        var one = f.post("/v1/embeddings", "{\"model\":\"" + model + "\",\"input\":\"hello\"}");
        assertThat(one.statusCode()).as(one.body()).isEqualTo(200);
        assertThat(json(one).at("/data/0/embedding").size()).isPositive();
        var many = f.post("/v1/embeddings", "{\"model\":\"" + model + "\",\"input\":[\"a\",\"b\",\"c\"]}");
        assertThat(json(many).get("data")).hasSize(3);
        assertThat(json(many).at("/usage/prompt_tokens").asInt()).isPositive();
    }

    @Test
    void embeddings_chatModel_rejectedWith400() {
        var r = f.post("/v1/embeddings", "{\"model\":\"chat-openai\",\"input\":\"x\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).at("/error/param").asText()).isEqualTo("model");
    }

    @Test
    void models_listsLogicalModels() {
        var r = f.get("/v1/models");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).get("object").asText()).isEqualTo("list");
        var ids = new ArrayList<String>();
        json(r).get("data").forEach(m -> ids.add(m.get("id").asText()));
        assertThat(ids).contains("chat-openai", "chat-anthropic", "embed-openai", "mock-chat", "mock-embedding");
    }

    @Test
    void health_andReadiness() {
        assertThat(f.get("/healthz").statusCode()).isEqualTo(200);
        assertThat(f.get("/readyz").statusCode()).isEqualTo(200);
    }

    @Test
    void requestId_honouredWhenSafeGeneratedOtherwise() {
        var mine = f.post("/v1/chat/completions", CHAT.formatted("mock-chat", ""), Map.of("x-request-id", "my-id-123"));
        assertThat(mine.headers().firstValue("x-request-id")).hasValue("my-id-123");
        var bad = f.post("/v1/chat/completions", CHAT.formatted("mock-chat", ""), Map.of("x-request-id", "bad id with spaces"));
        assertThat(bad.headers().firstValue("x-request-id").orElseThrow()).isNotEqualTo("bad id with spaces").isNotBlank();
    }

    @Test
    void outcome_recordsUsageAndCostOfEveryRequest() {
        f.outcomes.clear();
        f.post("/v1/chat/completions", CHAT.formatted("chat-openai", ""), Map.of("x-request-id", "cost-check"));
        var o = f.outcomes.stream().filter(x -> x.requestId().equals("cost-check")).findFirst().orElseThrow();
        assertThat(o.usage().inputTokens()).isPositive();
        assertThat(o.costUsd()).isCloseTo((o.usage().inputTokens() * 1.0 + o.usage().outputTokens() * 2.0) / 1e6,
                org.assertj.core.data.Offset.offset(1e-12));
        assertThat(o.deployment()).isEqualTo("up-openai");
    }
}
