package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.wire.Json;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Messages answers carry every field Anthropic's OpenAPI schema requires, null where there is nothing to say,
 * whatever the backend: translated answers (Arbiter's encoders) and an Anthropic upstream's own, passed through as
 * it came (here the mock upstream's, which must be complete too). Error bodies name the request.
 */
class AnthropicSchemaTest {
    static Fixture f;
    static AnthropicClient client;
    static final String REQUEST = """
            {"model":"%s","max_tokens":64,"messages":[{"role":"user","content":"Say hello"}]%s}""";
    static final List<String> USAGE = List.of("input_tokens", "output_tokens", "cache_creation_input_tokens",
            "cache_read_input_tokens", "cache_creation", "server_tool_use", "service_tier", "inference_geo");
    static final List<String> DELTA_USAGE = List.of("input_tokens", "output_tokens", "cache_creation_input_tokens",
            "cache_read_input_tokens", "server_tool_use");

    @BeforeAll
    static void start() {
        f = new Fixture();
        client = AnthropicOkHttpClient.builder().baseUrl(f.base()).apiKey("client-key").maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static HttpResponse<String> post(String body) {
        return f.post("/v1/messages", body, Map.of("anthropic-version", "2023-06-01"));
    }

    private static void assertMessage(JsonNode m) {
        assertThat(m.fieldNames()).toIterable().as(m.toString())
                .contains("id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "stop_details", "container", "usage");
        assertThat(m.get("container").isNull()).isTrue();
        assertThat(m.get("stop_details").isNull()).isTrue();
        assertThat(m.get("usage").fieldNames()).toIterable().as(m.get("usage").toString()).containsAll(USAGE);
        assertThat(m.at("/usage/server_tool_use").isNull()).isTrue();
        JsonNode cc = m.at("/usage/cache_creation");
        assertThat(cc.isNull() || cc.has("ephemeral_1h_input_tokens") && cc.has("ephemeral_5m_input_tokens")).as(cc.toString()).isTrue();
        for (JsonNode b : m.get("content")) {
            // as Anthropic's API answers: no citations key when there are none (the Vercel AI SDK refuses null)
            if ("text".equals(b.path("type").asText())) assertThat(!b.has("citations") || b.get("citations").isArray()).as(b.toString()).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"chat-anthropic", "chat-openai", "resp-openai", "mock-chat"})
    void message_everyRequiredNullableField(String model) {
        var r = post(REQUEST.formatted(model, ""));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode m = Json.parse(r.body());
        assertMessage(m);
        assertThat(m.at("/content/0").has("citations")).isFalse();
        if (model.equals("chat-anthropic")) {
            // passed through as the upstream wrote it: the mock upstream's own service tier, not Arbiter's null
            assertThat(m.at("/usage/service_tier").asText()).isEqualTo("standard");
        } else {
            assertThat(m.at("/usage/service_tier").isNull()).isTrue();
        }
        Message sdk = client.messages().create(MessageCreateParams.builder().model(model).maxTokens(64)
                .addUserMessage("Say hello").build());
        sdk.validate();
        assertThat(sdk._container().isMissing()).isFalse();
        assertThat(sdk._stopDetails().isMissing()).isFalse();
        assertThat(sdk.usage()._cacheCreation().isMissing()).isFalse();
        assertThat(sdk.usage()._serverToolUse().isMissing()).isFalse();
        assertThat(sdk.usage()._serviceTier().isMissing()).isFalse();
        assertThat(sdk.usage()._inferenceGeo().isMissing()).isFalse();
        assertThat(sdk.content().getFirst().asText().citations()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"chat-anthropic", "chat-openai", "resp-openai", "mock-chat"})
    void stream_messageStartBlocksAndMessageDelta_everyRequiredNullableField(String model) {
        var r = post(REQUEST.formatted(model, ",\"stream\":true"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        boolean sawStart = false;
        boolean sawText = false;
        boolean sawDelta = false;
        for (String d : EndpointsTest.sseData(r.body())) {
            JsonNode e = Json.parse(d);
            switch (e.path("type").asText()) {
                case "message_start" -> {
                    sawStart = true;
                    assertMessage(e.get("message"));
                }
                case "content_block_start" -> {
                    JsonNode b = e.get("content_block");
                    if ("text".equals(b.path("type").asText())) {
                        sawText = true;
                        assertThat(b.has("citations")).as(b.toString()).isFalse();
                    }
                }
                case "message_delta" -> {
                    sawDelta = true;
                    assertThat(e.get("delta").fieldNames()).toIterable().as(d)
                            .contains("stop_reason", "stop_sequence", "stop_details", "container");
                    assertThat(e.get("usage").fieldNames()).toIterable().as(d).containsAll(DELTA_USAGE);
                }
                default -> { }
            }
        }
        assertThat(sawStart && sawText && sawDelta).as(r.body()).isTrue();
        try (StreamResponse<RawMessageStreamEvent> s = client.messages().createStreaming(MessageCreateParams.builder()
                .model(model).maxTokens(64).addUserMessage("Say hello").build())) {
            for (RawMessageStreamEvent e : (Iterable<RawMessageStreamEvent>) s.stream()::iterator) {
                e.validate();
                e.messageStart().ifPresent(st -> assertThat(st.message()._container().isMissing()).isFalse());
                e.messageDelta().ifPresent(md -> {
                    assertThat(md.delta()._stopDetails().isMissing()).isFalse();
                    assertThat(md.usage()._serverToolUse().isMissing()).isFalse();
                });
            }
        }
    }

    @Test
    void errorBody_carriesTheRequestIdOfTheAnswer() {
        var r = post(REQUEST.formatted("no-such-model", ""));
        assertThat(r.statusCode()).isEqualTo(404);
        JsonNode b = Json.parse(r.body());
        assertThat(b.fieldNames()).toIterable().containsExactly("type", "error", "request_id");
        assertThat(b.get("request_id").asText()).isNotBlank().isEqualTo(r.headers().firstValue("x-request-id").orElseThrow());
        var malformed = post("{nope");
        assertThat(Json.parse(malformed.body()).get("request_id").asText())
                .isEqualTo(malformed.headers().firstValue("x-request-id").orElseThrow());
    }

    @Test
    void mockUpstreamErrorBody_carriesARequestId() throws Exception {
        var r = f.client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.upstream.port() + "/v1/messages"))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(Json.parse(r.body()).get("request_id").asText()).startsWith("req_");
    }
}
