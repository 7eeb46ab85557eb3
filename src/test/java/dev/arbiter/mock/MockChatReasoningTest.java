package dev.arbiter.mock;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.mock.MockUpstreamTest.Event;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Chat completions as a reasoning backend (DeepSeek's {@code reasoning_content}) and as a non-Anthropic backend. */
class MockChatReasoningTest {
    private static final String PATH = "/v1/chat/completions";
    private static final String TOOL = """
            {"type":"function","function":{"name":"get_weather","parameters":
             {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}""";
    private static final String USER = "{\"role\":\"user\",\"content\":\"Weather in Paris?\"}";

    private MockHttp http = new MockHttp();

    @AfterEach
    void stop() {
        http.close();
    }

    @Test
    void reasoningEffort_addsReasoningContentAndReasoningTokens() {
        JsonNode r = http.ok(PATH, "{\"model\":\"m\",\"reasoning_effort\":\"low\",\"messages\":[" + USER + "]}");
        JsonNode msg = r.path("choices").get(0).path("message");
        assertThat(msg.path("reasoning_content").asText()).startsWith("Mock reasoning:");
        assertThat(msg.path("content").asText()).startsWith("Mock answer:");
        assertThat(r.path("usage").path("completion_tokens").asInt()).isEqualTo(16 + 6);
        assertThat(r.path("usage").path("completion_tokens_details").path("reasoning_tokens").asInt()).isEqualTo(6);

        JsonNode plain = http.ok(PATH, "{\"model\":\"m\",\"messages\":[" + USER + "]}");
        assertThat(plain.path("choices").get(0).path("message").has("reasoning_content")).isFalse();
        assertThat(plain.path("usage").has("completion_tokens_details")).isFalse();
        JsonNode none = http.ok(PATH, "{\"model\":\"m\",\"reasoning_effort\":\"none\",\"messages\":[" + USER + "]}");
        assertThat(none.path("choices").get(0).path("message").has("reasoning_content")).isFalse();
    }

    @Test
    void stream_reasoningDeltasComeBeforeContent() {
        List<Event> events = http.stream(PATH, "{\"model\":\"m\",\"stream\":true,\"max_tokens\":3,\"reasoning_effort\":\"minimal\","
                + "\"stream_options\":{\"include_usage\":true},\"messages\":[" + USER + "]}");
        assertThat(events.getLast().data()).isEqualTo("[DONE]");
        List<JsonNode> d = MockHttp.data(events.subList(0, events.size() - 1));
        JsonNode head = d.get(0).path("choices").get(0).path("delta");
        assertThat(head.path("role").asText()).isEqualTo("assistant");
        assertThat(head.path("reasoning_content").asText()).isEmpty();
        var reasoning = new StringBuilder();
        for (JsonNode c : d.subList(1, 5)) {
            JsonNode delta = c.path("choices").get(0).path("delta");
            assertThat(delta.has("content")).isFalse();
            reasoning.append(delta.path("reasoning_content").asText());
        }
        assertThat(reasoning.toString()).startsWith("Mock reasoning:");
        var content = new StringBuilder();
        for (JsonNode c : d.subList(5, 8)) content.append(c.path("choices").get(0).path("delta").path("content").asText());
        assertThat(content.toString()).isEqualTo("Mock answer: " + content.substring(13));
        assertThat(d.get(8).path("choices").get(0).path("finish_reason").asText()).isEqualTo("length");
        assertThat(d.get(9).path("usage").path("completion_tokens_details").path("reasoning_tokens").asInt()).isEqualTo(4);
        assertThat(d).hasSize(10);
    }

    @Test
    void stream_toolCallHeadRidesOnItsFirstFragmentAfterTheReasoning() {
        List<Event> events = http.stream(PATH, "{\"model\":\"m\",\"stream\":true,\"reasoning_effort\":\"minimal\",\"messages\":["
                + USER + "],\"tools\":[" + TOOL + "]}");
        List<JsonNode> d = MockHttp.data(events.subList(0, events.size() - 1));
        assertThat(d.get(0).path("choices").get(0).path("delta").has("tool_calls")).isFalse();
        for (JsonNode c : d.subList(1, 5)) {
            assertThat(c.path("choices").get(0).path("delta").has("reasoning_content")).isTrue();
        }
        JsonNode first = d.get(5).path("choices").get(0).path("delta").path("tool_calls").get(0);
        assertThat(first.path("id").asText()).startsWith("call_");
        assertThat(first.path("function").path("name").asText()).isEqualTo("get_weather");
        var args = new StringBuilder(first.path("function").path("arguments").asText());
        for (JsonNode c : d.subList(6, 8)) {
            JsonNode tc = c.path("choices").get(0).path("delta").path("tool_calls").get(0);
            assertThat(tc.has("id")).isFalse();
            args.append(tc.path("function").path("arguments").asText());
        }
        assertThat(MockHttp.json(args.toString())).isEqualTo(MockHttp.json("{\"city\":\"mock\"}"));
        assertThat(d.get(8).path("choices").get(0).path("finish_reason").asText()).isEqualTo("tool_calls");
    }

    @Test
    void strictReasoning_toolCallTurnWithoutReasoningContentIsRefused() {
        JsonNode msg = http.ok(PATH, "{\"model\":\"m\",\"reasoning_effort\":\"high\",\"messages\":[" + USER + "],\"tools\":[" + TOOL + "]}")
                .path("choices").get(0).path("message");
        String call = msg.path("tool_calls").get(0).path("id").asText();
        String result = "{\"role\":\"tool\",\"tool_call_id\":\"" + call + "\",\"content\":\"sunny\"}";
        String echoed = "{\"model\":\"m\",\"reasoning_effort\":\"high\",\"messages\":[" + USER + "," + msg + "," + result + "],\"tools\":["
                + TOOL + "]}";
        assertThat(http.ok(PATH, echoed).path("choices").get(0).path("message").path("content").asText()).startsWith("Mock answer:");

        ObjectNode stripped = msg.deepCopy();
        stripped.remove("reasoning_content");
        String body = echoed.replace(msg.toString(), stripped.toString());
        assertThat(http.error(400, PATH, body)).isEqualTo("Missing `reasoning_content` field in the assistant message at "
                + "message index 1. For more information, please refer to https://api-docs.deepseek.com/guides/thinking_mode#tool-calls");
        String earlierTurn = body.replace(result, result + ",{\"role\":\"user\",\"content\":\"And Rome?\"}");
        assertThat(http.post(PATH, earlierTurn).statusCode()).isEqualTo(200);
        assertThat(http.post(PATH, body.replace("\"reasoning_effort\":\"high\",", "")).statusCode()).isEqualTo(200);

        http.close();
        http = new MockHttp(MockConfig.DEFAULT.withStrictReasoning(false));
        assertThat(http.post(PATH, body).statusCode()).isEqualTo(200);
    }

    @Test
    void cacheControl_isRefusedAsAnAnthropicOnlyField() {
        String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\","
                + "\"cache_control\":{\"type\":\"ephemeral\"}}]}]}";
        var res = http.post(PATH, body);
        assertThat(res.statusCode()).isEqualTo(400);
        JsonNode error = MockHttp.json(res.body()).path("error");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("message").asText())
                .isEqualTo("Unrecognized request argument supplied: cache_control (at messages[0].content[0].cache_control)");
        assertThat(http.error(400, PATH, "{\"model\":\"m\",\"cache_control\":{},\"messages\":[" + USER + "]}"))
                .endsWith("(at cache_control)");
        assertThat(http.post(PATH, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"say cache_control\"}]}")
                .statusCode()).isEqualTo(200);
    }

    @Test
    void agentsSdkChatRequests_answerAsBefore() {
        ObjectNode toolCall = MockHttp.agentRequest("agents-sdk-chat-nonstream-tool-call.json");
        JsonNode call = http.ok(PATH, toolCall).path("choices").get(0);
        assertThat(call.path("finish_reason").asText()).isEqualTo("tool_calls");
        ObjectNode afterTool = MockHttp.agentRequest("agents-sdk-chat-nonstream-after-tool.json");
        assertThat(http.ok(PATH, afterTool).path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
        ObjectNode thinking = afterTool.deepCopy().put("reasoning_effort", "medium");
        assertThat(http.error(400, PATH, thinking)).startsWith("Missing `reasoning_content` field");
    }
}
