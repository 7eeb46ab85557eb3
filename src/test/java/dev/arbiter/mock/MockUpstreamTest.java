package dev.arbiter.mock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MockUpstreamTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String TOOL = """
            "tools":[{"type":"function","function":{"name":"get_weather","parameters":
              {"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city","days"]}}}]""";
    private static final String ANTHROPIC_TOOL = """
            "tools":[{"name":"get_weather","input_schema":
              {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]""";

    private MockUpstream upstream;

    @AfterEach
    void stop() {
        if (upstream != null) upstream.stop();
    }

    private MockUpstream start(MockConfig config) {
        upstream = MockUpstream.start("127.0.0.1", 0, config);
        return upstream;
    }

    private static MockConfig faults(MockConfig.Faults f) {
        return MockConfig.DEFAULT.withFaults(f);
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + upstream.port() + path)).timeout(Duration.ofSeconds(10));
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return CLIENT.send(request(path).header("content-type", "application/json").header("x-api-key", "sk-test-secret-key")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return CLIENT.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(String s) throws IOException {
        return JSON.readTree(s);
    }

    record Event(String name, String data) {
        JsonNode json() throws IOException {
            return JSON.readTree(data);
        }
    }

    /** Splits an SSE body into events; an event's data lines are joined with newlines. */
    static List<Event> sse(String body) {
        var out = new ArrayList<Event>();
        for (String block : body.split("\n\n")) {
            if (block.isBlank()) continue;
            String name = null;
            var data = new StringBuilder();
            for (String line : block.split("\n")) {
                if (line.startsWith("event: ")) name = line.substring(7);
                else if (line.startsWith("data: ")) data.append(data.isEmpty() ? "" : "\n").append(line.substring(6));
            }
            out.add(new Event(name, data.toString()));
        }
        return out;
    }

    @Test
    void chat_answersOpenAiJsonLabelledAsTheFake() throws Exception {
        start(MockConfig.DEFAULT);
        var res = post("/v1/chat/completions", """
                {"model":"gpt-whatever","n":2,"messages":[{"role":"system","content":"Be brief. "},
                 {"role":"user","content":[{"type":"text","text":"Hello"}]}]}""");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("x-mock-upstream")).hasValue("arbiter");
        assertThat(res.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(res.headers().firstValue("content-length")).isPresent();
        JsonNode body = json(res.body());
        assertThat(body.path("object").asText()).isEqualTo("chat.completion");
        assertThat(body.path("model").asText()).isEqualTo("gpt-whatever");
        assertThat(body.path("id").asText()).startsWith("chatcmpl-");
        assertThat(body.path("choices")).hasSize(2);
        JsonNode msg = body.path("choices").get(0).path("message");
        assertThat(msg.path("role").asText()).isEqualTo("assistant");
        String expected = new MockEngine(MockConfig.DEFAULT).answer(MockEngine.Prompt.text("Be brief. Hello"))
                .alternatives().getFirst().text();
        assertThat(msg.path("content").asText()).isEqualTo(expected).startsWith("Mock answer:");
        assertThat(body.path("choices").get(1).path("index").asInt()).isEqualTo(1);
        assertThat(body.path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
        JsonNode usage = body.path("usage");
        assertThat(usage.path("prompt_tokens").asInt()).isEqualTo(4);
        assertThat(usage.path("completion_tokens").asInt()).isEqualTo(32);
        assertThat(usage.path("total_tokens").asInt()).isEqualTo(36);
    }

    @Test
    void chat_stream_sendsRoleDeltasFinishUsageAndDone() throws Exception {
        start(MockConfig.DEFAULT);
        var res = post("/v1/chat/completions", """
                {"model":"m","stream":true,"stream_options":{"include_usage":true},"max_tokens":5,
                 "messages":[{"role":"user","content":"Hello"}]}""");
        assertThat(res.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        List<Event> events = sse(res.body());
        assertThat(events.getLast().data()).isEqualTo("[DONE]");
        var chunks = new ArrayList<JsonNode>();
        for (Event e : events.subList(0, events.size() - 1)) {
            assertThat(e.name()).isNull();
            chunks.add(e.json());
        }
        assertThat(chunks).allSatisfy(c -> {
            assertThat(c.path("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(c.path("model").asText()).isEqualTo("m");
            assertThat(c.has("usage")).isTrue();
        });
        assertThat(chunks.getFirst().path("choices").get(0).path("delta").path("role").asText()).isEqualTo("assistant");
        var text = new StringBuilder();
        for (JsonNode c : chunks.subList(1, 6)) {
            assertThat(c.path("choices").get(0).path("finish_reason").isNull()).isTrue();
            assertThat(c.path("usage").isNull()).isTrue();
            text.append(c.path("choices").get(0).path("delta").path("content").asText());
        }
        assertThat(text.toString()).startsWith("Mock answer:").isEqualTo(
                new MockEngine(MockConfig.DEFAULT).answer(new MockEngine.Prompt("Hello", List.of(), true, null, false, 5, 1))
                        .alternatives().getFirst().text());
        JsonNode finish = chunks.get(6).path("choices").get(0);
        assertThat(finish.path("finish_reason").asText()).isEqualTo("length");
        assertThat(finish.path("delta").isEmpty()).isTrue();
        JsonNode usage = chunks.get(7);
        assertThat(usage.path("choices").isEmpty()).isTrue();
        assertThat(usage.path("usage").path("completion_tokens").asInt()).isEqualTo(5);
        assertThat(usage.path("usage").path("prompt_tokens").asInt()).isEqualTo(2);
        assertThat(chunks).hasSize(8);
        assertThat(upstream.stats().streamsStarted()).isEqualTo(1);
        assertThat(upstream.stats().streamsCompleted()).isEqualTo(1);
    }

    @Test
    void chat_streamWithoutIncludeUsage_sendsNoUsageField() throws Exception {
        start(MockConfig.DEFAULT);
        var res = post("/v1/chat/completions", "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        List<Event> events = sse(res.body());
        for (Event e : events.subList(0, events.size() - 1)) assertThat(e.json().has("usage")).isFalse();
        assertThat(events).hasSize(1 + 16 + 1 + 1);
    }

    @Test
    void chat_pacedStream_flushesTheSameEvents() throws Exception {
        start(new MockConfig(null, Duration.ofMillis(5), 1000, 8, 8, null, 1));
        String req = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
        List<Event> events = sse(post("/v1/chat/completions", req).body());
        assertThat(events).hasSize(1 + 8 + 1 + 1);
        assertThat(events.getLast().data()).isEqualTo("[DONE]");
        assertThat(upstream.stats().streamsCompleted()).isEqualTo(1);
    }

    @Test
    void chat_tools_answersAToolCallInOpenAiShape() throws Exception {
        start(MockConfig.DEFAULT);
        var res = post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Paris?\"}]," + TOOL + "}");
        JsonNode choice = json(res.body()).path("choices").get(0);
        assertThat(choice.path("finish_reason").asText()).isEqualTo("tool_calls");
        JsonNode msg = choice.path("message");
        assertThat(msg.path("content").isNull()).isTrue();
        JsonNode call = msg.path("tool_calls").get(0);
        assertThat(call.path("id").asText()).matches("call_[0-9a-f]{24}");
        assertThat(call.path("type").asText()).isEqualTo("function");
        assertThat(call.path("function").path("name").asText()).isEqualTo("get_weather");
        assertThat(json(call.path("function").path("arguments").asText())).isEqualTo(json("{\"city\":\"mock\",\"days\":1}"));

        var after = post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Paris?\"},"
                + "{\"role\":\"assistant\",\"tool_calls\":[" + call + "]},{\"role\":\"tool\",\"tool_call_id\":\"x\",\"content\":\"sunny\"}],"
                + TOOL + "}");
        assertThat(json(after.body()).path("choices").get(0).path("message").path("content").asText()).startsWith("Mock answer:");
    }

    @Test
    void chat_directives_sayOrCallTheNamedToolThenQuoteItsResult() throws Exception {
        start(MockConfig.DEFAULT);
        String user = "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"<reminder/>\"},"
                + "{\"type\":\"text\",\"text\":\"[[mock-tool get_weather {\\\"city\\\":\\\"Oslo\\\",\\\"days\\\":3}]]\"}]}";
        var res = post("/v1/chat/completions", "{\"model\":\"m\",\"stream\":true,\"messages\":[" + user + "]," + TOOL + "}");
        var args = new StringBuilder();
        String id = null;
        for (Event e : sse(res.body())) {
            if ("[DONE]".equals(e.data())) continue;
            JsonNode tc = e.json().path("choices").path(0).path("delta").path("tool_calls").path(0);
            if (tc.path("id").isTextual()) id = tc.path("id").asText();
            args.append(tc.path("function").path("arguments").asText(""));
        }
        assertThat(args.toString()).isEqualTo("{\"city\":\"Oslo\",\"days\":3}");

        String call = "{\"id\":\"" + id + "\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
                + JSON.writeValueAsString(args.toString()) + "}}";
        var after = post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[" + user + ","
                + "{\"role\":\"assistant\",\"tool_calls\":[" + call + "]},{\"role\":\"tool\",\"tool_call_id\":\"" + id
                + "\",\"content\":[{\"type\":\"text\",\"text\":\"Oslo: rain\"}]}]," + TOOL + "}");
        assertThat(json(after.body()).path("choices").get(0).path("message").path("content").asText())
                .isEqualTo("Mock answer: the tool said: Oslo: rain");

        var say = post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"Answer [[mock-say ARBITER-OK]]\"}]," + TOOL + "}");
        JsonNode choice = json(say.body()).path("choices").get(0);
        assertThat(choice.path("message").path("content").asText()).isEqualTo("ARBITER-OK");
        assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void chat_streamTools_sendsToolCallDeltasThenArgumentFragments() throws Exception {
        start(MockConfig.DEFAULT);
        var res = post("/v1/chat/completions", "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Paris?\"}],"
                + TOOL + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}}");
        List<Event> events = sse(res.body());
        JsonNode first = events.get(0).json().path("choices").get(0).path("delta");
        JsonNode head = first.path("tool_calls").get(0);
        assertThat(head.path("index").asInt()).isZero();
        assertThat(head.path("id").asText()).startsWith("call_");
        assertThat(head.path("type").asText()).isEqualTo("function");
        assertThat(head.path("function").path("name").asText()).isEqualTo("get_weather");
        var args = new StringBuilder();
        for (Event e : events.subList(1, 4)) {
            JsonNode tc = e.json().path("choices").get(0).path("delta").path("tool_calls").get(0);
            assertThat(tc.path("index").asInt()).isZero();
            assertThat(tc.has("id")).isFalse();
            args.append(tc.path("function").path("arguments").asText());
        }
        assertThat(json(args.toString())).isEqualTo(json("{\"city\":\"mock\",\"days\":1}"));
        assertThat(events.get(4).json().path("choices").get(0).path("finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(events.get(5).data()).isEqualTo("[DONE]");
    }

    @Test
    void completions_answerOneChoicePerPromptAndStream() throws Exception {
        start(MockConfig.DEFAULT);
        JsonNode body = json(post("/v1/completions", "{\"model\":\"davinci\",\"prompt\":[\"one\",\"two\"],\"max_tokens\":3}").body());
        assertThat(body.path("object").asText()).isEqualTo("text_completion");
        assertThat(body.path("choices")).hasSize(2);
        assertThat(body.path("choices").get(1).path("index").asInt()).isEqualTo(1);
        assertThat(body.path("choices").get(0).path("text").asText()).isEqualTo("Mock answer:" + body.path("choices").get(0)
                .path("text").asText().substring(12));
        assertThat(body.path("choices").get(0).path("finish_reason").asText()).isEqualTo("length");
        assertThat(body.path("usage").path("completion_tokens").asInt()).isEqualTo(6);

        List<Event> events = sse(post("/v1/completions",
                "{\"model\":\"davinci\",\"prompt\":\"one\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}").body());
        var text = new StringBuilder();
        for (Event e : events.subList(0, 16)) text.append(e.json().path("choices").get(0).path("text").asText());
        assertThat(text.toString()).startsWith("Mock answer:");
        assertThat(events.get(16).json().path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
        assertThat(events.get(17).json().path("usage").path("total_tokens").asInt()).isEqualTo(17);
        assertThat(events.get(18).data()).isEqualTo("[DONE]");
    }

    @Test
    void embeddings_answerUnitVectorsAsFloatsOrBase64() throws Exception {
        start(MockConfig.DEFAULT);
        JsonNode body = json(post("/v1/embeddings", "{\"model\":\"emb\",\"input\":[\"a\",\"b\",\"c\"],\"dimensions\":16}").body());
        assertThat(body.path("object").asText()).isEqualTo("list");
        assertThat(body.path("model").asText()).isEqualTo("emb");
        assertThat(body.path("data")).hasSize(3);
        assertThat(body.path("data").get(2).path("index").asInt()).isEqualTo(2);
        assertThat(body.path("data").get(0).path("embedding")).hasSize(16);
        assertThat(body.path("data").get(0).path("embedding").get(3).floatValue()).isEqualTo(MockEngine.embed("a", 16)[3]);
        assertThat(body.path("usage").path("prompt_tokens").asInt()).isEqualTo(3);

        JsonNode b64 = json(post("/v1/embeddings", "{\"model\":\"emb\",\"input\":\"a\",\"encoding_format\":\"base64\"}").body());
        assertThat(Base64.getDecoder().decode(b64.path("data").get(0).path("embedding").asText())).hasSize(64 * 4);
    }

    @Test
    void models_listsTheFakesModels() throws Exception {
        start(MockConfig.DEFAULT);
        var res = get("/v1/models");
        assertThat(res.headers().firstValue("x-mock-upstream")).hasValue("arbiter");
        assertThat(json(res.body()).path("data").get(0).path("owned_by").asText()).isEqualTo("arbiter-mock");
    }

    @Test
    void messages_answersAnthropicJson() throws Exception {
        start(MockConfig.DEFAULT);
        JsonNode body = json(post("/v1/messages", """
                {"model":"claude-x","max_tokens":100,"system":"Be brief. ","messages":[{"role":"user","content":"Hello"}]}""").body());
        assertThat(body.path("type").asText()).isEqualTo("message");
        assertThat(body.path("role").asText()).isEqualTo("assistant");
        assertThat(body.path("model").asText()).isEqualTo("claude-x");
        assertThat(body.path("id").asText()).startsWith("msg_");
        assertThat(body.path("content").get(0).path("type").asText()).isEqualTo("text");
        String expected = new MockEngine(MockConfig.DEFAULT).answer(MockEngine.Prompt.text("Be brief. Hello"))
                .alternatives().getFirst().text();
        assertThat(body.path("content").get(0).path("text").asText()).isEqualTo(expected);
        assertThat(body.path("stop_reason").asText()).isEqualTo("end_turn");
        assertThat(body.path("usage").path("input_tokens").asInt()).isEqualTo(4);
        assertThat(body.path("usage").path("output_tokens").asInt()).isEqualTo(16);
    }

    @Test
    void messages_stream_followsAnthropicsExactEventSequence() throws Exception {
        start(MockConfig.DEFAULT);
        List<Event> events = sse(post("/v1/messages", """
                {"model":"claude-x","max_tokens":4,"stream":true,"messages":[{"role":"user","content":"Hello"}]}""").body());
        assertThat(events).extracting(Event::name).containsExactly("message_start", "content_block_start", "ping",
                "content_block_delta", "content_block_delta", "content_block_delta", "content_block_delta",
                "content_block_stop", "message_delta", "message_stop");
        for (Event e : events) assertThat(e.json().path("type").asText()).isEqualTo(e.name());
        JsonNode start = events.get(0).json().path("message");
        assertThat(start.path("model").asText()).isEqualTo("claude-x");
        assertThat(start.path("content").isEmpty()).isTrue();
        assertThat(start.path("usage").path("input_tokens").asInt()).isEqualTo(2);
        assertThat(events.get(1).json().path("content_block").path("type").asText()).isEqualTo("text");
        var text = new StringBuilder();
        for (Event e : events.subList(3, 7)) {
            assertThat(e.json().path("delta").path("type").asText()).isEqualTo("text_delta");
            text.append(e.json().path("delta").path("text").asText());
        }
        assertThat(text.toString()).startsWith("Mock answer:");
        JsonNode delta = events.get(8).json();
        assertThat(delta.path("delta").path("stop_reason").asText()).isEqualTo("max_tokens");
        assertThat(delta.path("usage").path("output_tokens").asInt()).isEqualTo(4);
    }

    @Test
    void messages_tools_answerToolUseBlocksAndInputJsonDeltas() throws Exception {
        start(MockConfig.DEFAULT);
        String req = "{\"model\":\"c\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"Paris?\"}]," + ANTHROPIC_TOOL;
        JsonNode body = json(post("/v1/messages", req + "}").body());
        JsonNode block = body.path("content").get(0);
        assertThat(block.path("type").asText()).isEqualTo("tool_use");
        assertThat(block.path("id").asText()).matches("toolu_[0-9a-f]{24}");
        assertThat(block.path("input")).isEqualTo(json("{\"city\":\"mock\"}"));
        assertThat(body.path("stop_reason").asText()).isEqualTo("tool_use");

        List<Event> events = sse(post("/v1/messages", req + ",\"stream\":true}").body());
        assertThat(events.get(1).json().path("content_block").path("type").asText()).isEqualTo("tool_use");
        var partial = new StringBuilder();
        for (Event e : events) {
            JsonNode d = e.json().path("delta");
            if ("input_json_delta".equals(d.path("type").asText())) partial.append(d.path("partial_json").asText());
        }
        assertThat(json(partial.toString())).isEqualTo(json("{\"city\":\"mock\"}"));
        assertThat(events.get(events.size() - 2).json().path("delta").path("stop_reason").asText()).isEqualTo("tool_use");

        String afterTool = "{\"model\":\"c\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"Paris?\"},"
                + "{\"role\":\"assistant\",\"content\":[" + block + "]},{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\","
                + "\"tool_use_id\":\"" + block.path("id").asText() + "\",\"content\":\"sunny\"}]}]," + ANTHROPIC_TOOL + "}";
        assertThat(json(post("/v1/messages", afterTool).body()).path("content").get(0).path("type").asText()).isEqualTo("text");
    }

    @Test
    void badRequests_get400InTheFormatsErrorShape() throws Exception {
        start(MockConfig.DEFAULT);
        var noMax = post("/v1/messages", "{\"model\":\"c\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertThat(noMax.statusCode()).isEqualTo(400);
        assertThat(json(noMax.body()).path("error").path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(json(noMax.body()).path("type").asText()).isEqualTo("error");
        var notJson = post("/v1/chat/completions", "{nope");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(json(notJson.body()).path("error").path("message").asText()).isNotEmpty();
        assertThat(post("/v1/chat/completions", "{\"model\":\"m\"}").statusCode()).isEqualTo(400);
    }

    @Test
    void errorFault_answersThatStatusWithAnErrorBody() throws Exception {
        start(faults(new MockConfig.Faults(1, List.of(503), 0, null, 0, 0, 0, 0, 0)));
        var openai = post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertThat(openai.statusCode()).isEqualTo(503);
        assertThat(openai.headers().firstValue("x-mock-upstream")).hasValue("arbiter");
        assertThat(json(openai.body()).path("error").path("type").asText()).isEqualTo("server_error");
        var anthropic = post("/v1/messages", "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertThat(anthropic.statusCode()).isEqualTo(503);
        assertThat(json(anthropic.body()).path("error").path("type").asText()).isEqualTo("api_error");
        assertThat(upstream.stats().faults("error")).isEqualTo(2);
    }

    @Test
    void rateLimitFault_answers429WithRetryAfterSeconds() throws Exception {
        start(faults(new MockConfig.Faults(0, null, 1, Duration.ofMillis(1500), 0, 0, 0, 0, 0)));
        var res = post("/v1/messages", "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertThat(res.statusCode()).isEqualTo(429);
        assertThat(res.headers().firstValue("retry-after")).hasValue("2");
        assertThat(json(res.body()).path("error").path("type").asText()).isEqualTo("rate_limit_error");
    }

    @Test
    void resetFault_closesTheConnectionWithoutAResponse() {
        start(faults(new MockConfig.Faults(0, null, 0, null, 0, 1, 0, 0, 0)));
        assertThatThrownBy(() -> post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"))
                .isInstanceOf(IOException.class);
        assertThat(upstream.stats().faults("reset")).isEqualTo(1);
    }

    @Test
    void hangFault_neverAnswers() {
        start(faults(new MockConfig.Faults(0, null, 0, null, 1, 0, 0, 0, 0)));
        var req = request("/v1/chat/completions").timeout(Duration.ofMillis(300))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")).build();
        assertThatThrownBy(() -> CLIENT.send(req, HttpResponse.BodyHandlers.ofString())).isInstanceOf(HttpTimeoutException.class);
        assertThat(upstream.stats().faults("hang")).isEqualTo(1);
    }

    @Test
    void malformedFault_sendsInvalidJsonOrAnInvalidEvent() throws Exception {
        start(faults(new MockConfig.Faults(0, null, 0, null, 0, 0, 1, 0, 0)));
        var res = post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertThat(res.statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> json(res.body())).isInstanceOf(IOException.class);
        List<Event> events = sse(post("/v1/messages",
                "{\"model\":\"m\",\"max_tokens\":5,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}").body());
        assertThat(events.getLast().name()).isEqualTo("content_block_delta");
        assertThatThrownBy(() -> events.getLast().json()).isInstanceOf(IOException.class);
        assertThat(events).extracting(Event::name).doesNotContain("message_stop");
    }

    @Test
    void dropFault_endsTheStreamAfterNTokensWithoutItsFinalEvent() throws Exception {
        start(faults(new MockConfig.Faults(0, null, 0, null, 0, 0, 0, 1, 3)));
        List<Event> events = sse(post("/v1/chat/completions",
                "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}").body());
        assertThat(events).hasSize(4);
        assertThat(events).extracting(Event::data).doesNotContain("[DONE]");
        List<Event> anthropic = sse(post("/v1/messages",
                "{\"model\":\"m\",\"max_tokens\":50,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}").body());
        assertThat(anthropic).extracting(Event::name).containsExactly("message_start", "content_block_start", "ping",
                "content_block_delta", "content_block_delta", "content_block_delta");
        var plain = post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(upstream.stats().streamsCompleted()).isZero();
    }

    @Test
    void stats_countRequestsAndKeepTheLastRequest() throws Exception {
        start(MockConfig.DEFAULT);
        String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
        post("/v1/chat/completions", body);
        post("/v1/chat/completions", body);
        get("/v1/models");
        post("/v1/embeddings", "{\"model\":\"e\",\"input\":\"x\"}");
        MockUpstream.Stats s = upstream.stats();
        assertThat(s.requests("/v1/chat/completions")).isEqualTo(2);
        assertThat(s.requests("/v1/models")).isEqualTo(1);
        assertThat(s.totalRequests()).isEqualTo(4);
        assertThat(s.lastPath()).isEqualTo("/v1/embeddings");
        assertThat(s.lastBody()).isEqualTo("{\"model\":\"e\",\"input\":\"x\"}");
        assertThat(s.lastHeaders()).containsEntry("x-api-key", "sk-test-secret-key").containsKey("content-type");

        JsonNode http = json(get("/mock/stats").body());
        assertThat(http.path("requests").path("/v1/chat/completions").asInt()).isEqualTo(2);
        assertThat(http.path("last_request").path("headers").path("x-api-key").asText()).isEqualTo("sk-tes****");
        assertThat(http.path("streams").path("started").asInt()).isZero();

        upstream.reset();
        assertThat(upstream.stats().totalRequests()).isZero();
        assertThat(upstream.stats().lastBody()).isEmpty();
    }

    @Test
    void clientLeavingMidStream_isCountedAsCancelled() throws Exception {
        start(new MockConfig(null, null, 20, 200, 8, null, 1));
        var req = request("/v1/chat/completions").POST(HttpRequest.BodyPublishers.ofString(
                "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")).build();
        HttpResponse<InputStream> res = CLIENT.send(req, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = res.body()) {
            byte[] some = in.readNBytes(64);
            assertThat(new String(some, StandardCharsets.UTF_8)).startsWith("data: ");
        }
        long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (upstream.stats().streamsCancelled() == 0 && System.nanoTime() < until) Thread.sleep(20);
        MockUpstream.Stats s = upstream.stats();
        assertThat(s.streamsCancelled()).isEqualTo(1);
        assertThat(s.streamsStarted()).isEqualTo(1);
        assertThat(s.streamsCompleted()).isZero();
    }
}
