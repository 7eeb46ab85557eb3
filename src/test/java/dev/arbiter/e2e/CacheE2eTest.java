package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.wire.Json;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The response cache over real HTTP, memory tier only: hits and misses in every format, answers filled in one
 * format served in another (streamed or not, whichever way they were filled), caller isolation, key stability,
 * the request's Cache-Control and headers, exclusion, cut streams never stored, a hit costing nothing.
 */
class CacheE2eTest {
    private static final Map<String, String> VERSION = Map.of("anthropic-version", "2023-06-01");
    static Fixture f;

    @BeforeAll
    static void start() {
        f = new Fixture(MockConfig.DEFAULT, """
                cache:
                  exact: {ttl: 1h}
                  exclude: ["SECRET-[0-9]+"]
                """, """
                  - name: chat-sampled
                    cache: {non-deterministic: bypass}
                    deployments: [{name: up-sampled, provider: openai, base-url: "{UPSTREAM}/v1", api-key: "k"}]
                """);
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    static long upstreamCalls(Fixture g) {
        return g.upstream.stats().requests().values().stream().mapToLong(Long::longValue).sum();
    }

    static String chat(String model, String text, boolean stream) {
        var body = Json.object().put("model", model).put("max_tokens", 40).put("stream", stream);
        body.putArray("messages").addObject().put("role", "user").put("content", text);
        if (stream) body.putObject("stream_options").put("include_usage", true);
        return Json.string(body);
    }

    static String messages(String model, String text, boolean stream) {
        var body = Json.object().put("model", model).put("max_tokens", 40).put("stream", stream);
        body.putArray("messages").addObject().put("role", "user").put("content", text);
        return Json.string(body);
    }

    static String responses(String model, String text, boolean stream) {
        var body = Json.object().put("model", model).put("max_output_tokens", 40).put("stream", stream).put("input", text);
        return Json.string(body);
    }

    static String cache(HttpResponse<String> r) {
        return r.headers().firstValue("x-arbiter-cache").orElse(null);
    }

    /** The text of an SSE body in any of the three formats. */
    static String streamedText(String sse) {
        var text = new StringBuilder();
        for (String line : sse.split("\n")) {
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
            JsonNode e = Json.parse(line.substring(6));
            for (JsonNode c : e.path("choices")) text.append(c.path("delta").path("content").asText(""));
            if ("content_block_delta".equals(e.path("type").asText())) text.append(e.path("delta").path("text").asText(""));
            if ("response.output_text.delta".equals(e.path("type").asText())) text.append(e.path("delta").asText(""));
        }
        return text.toString();
    }

    @Test
    void chat_secondRequest_isAHit_withoutTheUpstream_andCostsNothing() {
        String body = chat("chat-openai", "cache me once", false);
        var first = f.post("/v1/chat/completions", body);
        long calls = upstreamCalls(f);
        var second = f.post("/v1/chat/completions", body);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(cache(first)).isEqualTo("miss");
        assertThat(cache(second)).isEqualTo("hit");
        assertThat(upstreamCalls(f)).isEqualTo(calls);
        assertThat(Json.parse(second.body()).at("/choices/0/message/content").asText())
                .isEqualTo(Json.parse(first.body()).at("/choices/0/message/content").asText()).isNotBlank();
        assertThat(Double.parseDouble(first.headers().firstValue("x-arbiter-cost-usd").orElseThrow())).isPositive();
        assertThat(Double.parseDouble(second.headers().firstValue("x-arbiter-cost-usd").orElseThrow())).isZero();
        assertThat(f.outcomes.getLast().costUsd()).isZero();
        assertThat(f.outcomes.getLast().trace().cache()).contains("hit");
        var stats = Json.parse(f.get("/admin/cache").body());
        assertThat(stats.path("exact").path("hits").asLong()).isPositive();
        assertThat(stats.path("saved").path("usd").asDouble()).isPositive();
        assertThat(f.get("/metrics").body()).contains("arbiter_cache_requests_total{kind=\"exact\",result=\"hit\"}");
    }

    @Test
    void streamFilledAsChat_isServedToEveryFormat_streamedAndWhole() {
        String text = "a stream to replay everywhere";
        var fill = f.post("/v1/chat/completions", chat("chat-openai", text, true));
        assertThat(cache(fill)).isEqualTo("miss");
        String answer = streamedText(fill.body());
        assertThat(answer).isNotBlank();
        long calls = upstreamCalls(f);

        var chatStream = f.post("/v1/chat/completions", chat("chat-openai", text, true));
        assertThat(cache(chatStream)).isEqualTo("hit");
        assertThat(streamedText(chatStream.body())).isEqualTo(answer);
        assertThat(chatStream.body()).contains("data: [DONE]");

        var chatWhole = f.post("/v1/chat/completions", chat("chat-openai", text, false));
        assertThat(cache(chatWhole)).isEqualTo("hit");
        assertThat(Json.parse(chatWhole.body()).at("/choices/0/message/content").asText()).isEqualTo(answer);

        var msgWhole = f.post("/v1/messages", messages("chat-openai", text, false), VERSION);
        assertThat(cache(msgWhole)).as(msgWhole.body()).isEqualTo("hit");
        assertThat(Json.parse(msgWhole.body()).at("/content/0/text").asText()).isEqualTo(answer);

        var msgStream = f.post("/v1/messages", messages("chat-openai", text, true), VERSION);
        assertThat(cache(msgStream)).isEqualTo("hit");
        assertThat(streamedText(msgStream.body())).isEqualTo(answer);
        assertThat(msgStream.body()).contains("event: message_stop");

        var respStream = f.post("/v1/responses", responses("chat-openai", text, true));
        assertThat(cache(respStream)).as(respStream.body()).isEqualTo("hit");
        assertThat(streamedText(respStream.body())).isEqualTo(answer);
        assertThat(respStream.body()).contains("event: response.completed");

        var respWhole = f.post("/v1/responses", responses("chat-openai", text, false));
        assertThat(cache(respWhole)).isEqualTo("hit");
        assertThat(Json.parse(respWhole.body()).at("/output_text").asText(Json.parse(respWhole.body()).toString())).contains(answer);
        assertThat(upstreamCalls(f)).isEqualTo(calls);
    }

    @Test
    void wholeAnswerFilledAsMessages_isStreamedToTheSdks() {
        String text = "filled whole, replayed as streams";
        var fill = f.post("/v1/messages", messages("chat-anthropic", text, false), VERSION);
        assertThat(cache(fill)).isEqualTo("miss");
        String answer = Json.parse(fill.body()).at("/content/0/text").asText();
        long calls = upstreamCalls(f);

        AnthropicClient anthropic = AnthropicOkHttpClient.builder().baseUrl(f.base()).apiKey("sdk-key").maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
        OpenAIClient openai = OpenAIOkHttpClient.builder().baseUrl(f.base() + "/v1").apiKey("sdk-key").maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
        // the SDKs send a credential: the same one for both, so one scope; fill it once for that caller
        anthropic.messages().create(MessageCreateParams.builder().model("chat-anthropic").maxTokens(40).addUserMessage(text).build());
        long afterSdkFill = upstreamCalls(f);
        assertThat(afterSdkFill).isEqualTo(calls + 1);

        var streamed = new StringBuilder();
        boolean stopped = false;
        try (StreamResponse<RawMessageStreamEvent> s = anthropic.messages().createStreaming(MessageCreateParams.builder()
                .model("chat-anthropic").maxTokens(40).addUserMessage(text).build())) {
            for (RawMessageStreamEvent e : (Iterable<RawMessageStreamEvent>) s.stream()::iterator) {
                e.contentBlockDelta().flatMap(d -> d.delta().text()).ifPresent(t -> streamed.append(t.text()));
                if (e.isMessageStop()) stopped = true;
            }
        }
        assertThat(stopped).isTrue();
        assertThat(streamed.toString()).isEqualTo(answer);

        var chatText = new StringBuilder();
        try (com.openai.core.http.StreamResponse<ChatCompletionChunk> s = openai.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
                .model("chat-anthropic").maxCompletionTokens(40).addUserMessage(text).build())) {
            for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) s.stream()::iterator) {
                for (var ch : chunk.choices()) ch.delta().content().ifPresent(chatText::append);
            }
        }
        // max_completion_tokens and Anthropic's max_tokens are one field of the internal model: the same key
        assertThat(chatText.toString()).isEqualTo(answer);
        assertThat(upstreamCalls(f)).isEqualTo(afterSdkFill);
    }

    @Test
    void callers_doNotShareAnswers() {
        String body = chat("chat-openai", "isolation", false);
        var a1 = f.post("/v1/chat/completions", body, Map.of("authorization", "Bearer key-A"));
        var a2 = f.post("/v1/chat/completions", body, Map.of("authorization", "Bearer key-A"));
        var b1 = f.post("/v1/chat/completions", body, Map.of("authorization", "Bearer key-B"));
        var anon = f.post("/v1/chat/completions", body);
        assertThat(List.of(cache(a1), cache(a2), cache(b1), cache(anon))).containsExactly("miss", "hit", "miss", "miss");
    }

    @Test
    void apiKeys_doNotShareAnswers_evenInOneTeam() {
        String keyA = "sk-cache-a-0123456789abcdef", keyB = "sk-cache-b-0123456789abcdef";
        try (Fixture g = new Fixture(MockConfig.DEFAULT, """
                cache: {exact: {ttl: 1h}}
                auth: {mode: required, admin-key: "%s"}
                keys:
                  - {name: cache-a, key: "%s", team: same}
                  - {name: cache-b, key: "%s", team: same}
                """.formatted(ApiKeysTest.ADMIN, keyA, keyB), "")) {
            String body = chat("chat-openai", "per key", false);
            var a1 = g.post("/v1/chat/completions", body, Map.of("authorization", "Bearer " + keyA));
            var a2 = g.post("/v1/chat/completions", body, Map.of("x-api-key", keyA));
            var b1 = g.post("/v1/chat/completions", body, Map.of("authorization", "Bearer " + keyB));
            var b2 = g.post("/v1/chat/completions", body, Map.of("x-api-key", keyB));
            assertThat(List.of(a1.statusCode(), a2.statusCode(), b1.statusCode(), b2.statusCode())).containsOnly(200);
            assertThat(List.of(cache(a1), cache(a2), cache(b1), cache(b2))).containsExactly("miss", "hit", "miss", "hit");
            assertThat(upstreamCalls(g)).isEqualTo(2);
        }
    }

    @Test
    void namespaceHeader_narrowsTheScope() {
        String body = chat("chat-openai", "namespaced", false);
        f.post("/v1/chat/completions", body);
        var narrowed = f.post("/v1/chat/completions", body, Map.of("x-arbiter-cache-namespace", "team-1"));
        var narrowedAgain = f.post("/v1/chat/completions", body, Map.of("x-arbiter-cache-namespace", "team-1"));
        var bad = f.post("/v1/chat/completions", body, Map.of("x-arbiter-cache-namespace", "a b*"));
        assertThat(cache(narrowed)).isEqualTo("miss");
        assertThat(cache(narrowedAgain)).isEqualTo("hit");
        assertThat(bad.statusCode()).isEqualTo(400);
    }

    @Test
    void reorderedFieldsAndFormatting_hitTheSameKey() {
        String one = "{\"model\":\"chat-openai\",\"max_tokens\":40,\"messages\":[{\"role\":\"user\",\"content\":\"order\"}],\"temperature\":0}";
        String two = "{ \"temperature\" : 0.0,\n \"messages\" : [ { \"content\" : \"order\", \"role\" : \"user\" } ],\n"
                + " \"max_tokens\" : 40, \"model\" : \"chat-openai\", \"user\": \"someone\" }";
        assertThat(cache(f.post("/v1/chat/completions", one))).isEqualTo("miss");
        assertThat(cache(f.post("/v1/chat/completions", two))).isEqualTo("hit");
    }

    @Test
    void cacheControl_noStoreAndNoCache() {
        String body = chat("chat-openai", "no-store please", false);
        assertThat(cache(f.post("/v1/chat/completions", body, Map.of("cache-control", "no-store")))).isEqualTo("miss");
        assertThat(cache(f.post("/v1/chat/completions", body))).isEqualTo("miss");
        assertThat(cache(f.post("/v1/chat/completions", body))).isEqualTo("hit");
        long calls = upstreamCalls(f);
        assertThat(cache(f.post("/v1/chat/completions", body, Map.of("cache-control", "no-cache")))).isEqualTo("miss");
        assertThat(upstreamCalls(f)).isEqualTo(calls + 1);
        assertThat(f.post("/v1/chat/completions", body, Map.of("x-arbiter-cache-ttl", "soon")).statusCode()).isEqualTo(400);
        String zero = chat("chat-openai", "ttl zero", false);
        f.post("/v1/chat/completions", zero, Map.of("x-arbiter-cache-ttl", "0"));
        assertThat(cache(f.post("/v1/chat/completions", zero))).isEqualTo("miss");
    }

    @Test
    void excludedContentAndSampledRequests_areBypassed() {
        String secret = chat("chat-openai", "my code is SECRET-1234", false);
        assertThat(cache(f.post("/v1/chat/completions", secret))).isEqualTo("bypass");
        assertThat(cache(f.post("/v1/chat/completions", secret))).isEqualTo("bypass");
        String sampled = "{\"model\":\"chat-sampled\",\"temperature\":0.7,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
        assertThat(cache(f.post("/v1/chat/completions", sampled))).isEqualTo("bypass");
        String greedy = "{\"model\":\"chat-sampled\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
        f.post("/v1/chat/completions", greedy);
        assertThat(cache(f.post("/v1/chat/completions", greedy))).isEqualTo("hit");
    }

    @Test
    void cutStream_isNeverStored() {
        var drop = new MockConfig.Faults(0, List.of(500), 0, Duration.ofSeconds(1), 0, 0, 0, 1.0, 2);
        var cfg = new MockConfig(MockConfig.Latency.NONE, Duration.ZERO, 0, 16, 64, drop, 42);
        try (var g = new Fixture(cfg, "cache: {exact: {ttl: 1h}}\n", "")) {
            String body = chat("chat-openai", "cut me", true);
            var first = g.post("/v1/chat/completions", body);
            assertThat(first.body()).contains("error");
            long calls = upstreamCalls(g);
            var second = g.post("/v1/chat/completions", body);
            assertThat(cache(second)).isEqualTo("miss");
            assertThat(upstreamCalls(g)).isEqualTo(calls + 1);
        }
    }

    @Test
    void purge_byKeyModelAndAll() {
        String body = chat("mock-chat", "purge me", false);
        f.post("/v1/chat/completions", body);
        assertThat(cache(f.post("/v1/chat/completions", body))).isEqualTo("hit");
        var del = f.send(java.net.http.HttpRequest.newBuilder(f.uri("/admin/cache?model=mock-chat")).DELETE().build());
        assertThat(del.statusCode()).as(del.body()).isEqualTo(200);
        assertThat(Json.parse(del.body()).at("/purged/memory").asLong()).isPositive();
        assertThat(cache(f.post("/v1/chat/completions", body))).isEqualTo("miss");
        var bad = f.send(java.net.http.HttpRequest.newBuilder(f.uri("/admin/cache?key=zz")).DELETE().build());
        assertThat(bad.statusCode()).isEqualTo(400);
    }

    @Test
    void modelsOwnBlock_turnsTheCacheOnForThatModelOnly() {
        try (var g = new Fixture(MockConfig.DEFAULT, "", """
                  - name: chat-cached
                    cache: {enabled: true, exact: {ttl: 10m}}
                    deployments: [{name: up-cached, provider: openai, base-url: "{UPSTREAM}/v1", api-key: "k"}]
                """)) {
            String cached = chat("chat-cached", "only this model", false);
            assertThat(cache(g.post("/v1/chat/completions", cached))).isEqualTo("miss");
            assertThat(cache(g.post("/v1/chat/completions", cached))).isEqualTo("hit");
            String other = chat("chat-openai", "only this model", false);
            g.post("/v1/chat/completions", other);
            assertThat(cache(g.post("/v1/chat/completions", other))).as("no cache for other models").isNull();
        }
        try (var g = new Fixture()) {
            String body = chat("chat-openai", "no cache configured", false);
            g.post("/v1/chat/completions", body);
            assertThat(cache(g.post("/v1/chat/completions", body))).isNull();
            assertThat(g.get("/admin/cache").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void warmUp_fromAJsonlFile_servesItsAnswers() throws Exception {
        var file = java.nio.file.Files.createTempFile("arbiter-warm", ".jsonl");
        try {
            String request = chat("chat-openai", "warmed question", false);
            String response = "{\"id\":\"chatcmpl-warm\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"chat-openai\","
                    + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"warmed answer\"},\"finish_reason\":\"stop\"}],"
                    + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}";
            java.nio.file.Files.writeString(file, "{\"request\":" + request + ",\"response\":" + response + "}\n"
                    + "{\"request\": 1}\n");
            var r = f.post("/admin/cache/warm", "{\"file\":\"" + file + "\"}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(Json.parse(r.body()).path("loaded").asLong()).isEqualTo(1);
            assertThat(Json.parse(r.body()).path("skipped").asLong()).isEqualTo(1);
            var hit = f.post("/v1/messages", messages("chat-openai", "warmed question", false), VERSION);
            assertThat(cache(hit)).isEqualTo("hit");
            assertThat(Json.parse(hit.body()).at("/content/0/text").asText()).isEqualTo("warmed answer");
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }
}
