package dev.arbiter.mock;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.mock.MockUpstreamTest.Event;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Anthropic Messages extras of the fake: thinking, signatures, prompt caching, count_tokens, strict fields. */
class MockMessagesTest {
    private static final String PATH = "/v1/messages";
    private static final String COUNT = "/v1/messages/count_tokens";
    private static final String TOOL = """
            {"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}""";
    private static final String THINKING = "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024}";
    private static final String USER = "{\"role\":\"user\",\"content\":\"Weather in Paris?\"}";

    private final MockHttp http = new MockHttp();

    @AfterEach
    void stop() {
        http.close();
    }

    private static String req(String extra, String... messages) {
        return "{\"model\":\"claude-x\",\"max_tokens\":100," + extra + (extra.isEmpty() ? "" : ",")
                + "\"messages\":[" + String.join(",", messages) + "]}";
    }

    private static String toolResult(JsonNode toolUse) {
        return "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"" + toolUse.path("id").asText()
                + "\",\"content\":\"sunny\"}]}";
    }

    private static ObjectNode copy(JsonNode block) {
        return (ObjectNode) block.deepCopy();
    }

    private static String assistant(JsonNode... blocks) {
        var arr = MockHttp.JSON.createArrayNode();
        for (JsonNode b : blocks) arr.add(b);
        return "{\"role\":\"assistant\",\"content\":" + arr + "}";
    }

    @Test
    void thinking_opensTheAnswerWithASignedThinkingBlockThatVerifiesOnEcho() {
        JsonNode first = http.ok(PATH, req(THINKING + ",\"tools\":[" + TOOL + "]", USER));
        JsonNode thinking = first.path("content").get(0);
        JsonNode toolUse = first.path("content").get(1);
        assertThat(thinking.path("type").asText()).isEqualTo("thinking");
        assertThat(thinking.path("thinking").asText()).startsWith("Mock reasoning:");
        assertThat(thinking.path("signature").asText()).isNotEmpty();
        assertThat(toolUse.path("type").asText()).isEqualTo("tool_use");
        assertThat(first.path("usage").path("output_tokens").asInt())
                .isEqualTo(8 + MockEngine.countTokens("get_weather{\"city\":\"mock\"}"));

        String tools = THINKING + ",\"tools\":[" + TOOL + "]";
        JsonNode second = http.ok(PATH, req(tools, USER, assistant(thinking, toolUse), toolResult(toolUse)));
        assertThat(second.path("content").get(0).path("type").asText()).isEqualTo("thinking");
        assertThat(second.path("content").get(1).path("type").asText()).isEqualTo("text");

        ObjectNode changedText = copy(thinking);
        changedText.put("thinking", "I will call the tool.");
        assertThat(http.error(400, PATH, req(tools, USER, assistant(changedText, toolUse), toolResult(toolUse))))
                .isEqualTo("messages.1.content.0: invalid signature in thinking block");
        String sig = thinking.path("signature").asText();
        ObjectNode changedSig = copy(thinking).put("signature", sig.substring(0, 9) + (sig.charAt(9) == 'x' ? 'y' : 'x')
                + sig.substring(10));
        assertThat(http.error(400, PATH, req(tools, USER, assistant(changedSig, toolUse), toolResult(toolUse))))
                .isEqualTo("messages.1.content.0: invalid signature in thinking block");
        String otherModel = req(tools, USER, assistant(thinking, toolUse), toolResult(toolUse)).replace("claude-x", "claude-y");
        assertThat(http.error(400, PATH, otherModel)).isEqualTo("messages.1.content.0: invalid signature in thinking block");
        ObjectNode unsigned = copy(thinking);
        unsigned.remove("signature");
        assertThat(http.error(400, PATH, req(tools, USER, assistant(unsigned, toolUse), toolResult(toolUse))))
                .isEqualTo("messages.1.content.0.signature: Field required");
        JsonNode madeUp = MockHttp.json("{\"type\":\"redacted_thinking\",\"data\":\"EmwKAhgBEgy3va3pzix\"}");
        assertThat(http.error(400, PATH, req(tools, USER, assistant(madeUp, toolUse), toolResult(toolUse))))
                .isEqualTo("messages.1.content.0: invalid data in redacted_thinking block");
    }

    @Test
    void omittedDisplay_sendsEmptyThinkingWhoseSignatureStillCoversTheRealText() {
        String omitted = "\"thinking\":{\"type\":\"adaptive\",\"display\":\"omitted\"},\"tools\":[" + TOOL + "]";
        JsonNode answer = http.ok(PATH, req(omitted, USER));
        JsonNode thinking = answer.path("content").get(0);
        JsonNode toolUse = answer.path("content").get(1);
        assertThat(thinking.path("thinking").asText()).isEmpty();
        assertThat(http.ok(PATH, req(omitted, USER, assistant(thinking, toolUse), toolResult(toolUse))).path("content"))
                .hasSize(2);

        String shown = "\"thinking\":{\"type\":\"adaptive\"},\"tools\":[" + TOOL + "]";
        String realText = http.ok(PATH, req(shown, USER)).path("content").get(0).path("thinking").asText();
        ObjectNode withText = copy(thinking).put("thinking", realText);
        assertThat(http.post(PATH, req(omitted, USER, assistant(withText, toolUse), toolResult(toolUse))).statusCode())
                .isEqualTo(200);
        ObjectNode wrongText = copy(thinking).put("thinking", realText + " and more");
        assertThat(http.error(400, PATH, req(omitted, USER, assistant(wrongText, toolUse), toolResult(toolUse))))
                .contains("invalid signature in thinking block");
    }

    @Test
    void thinkingOn_toolUseWithoutItsThinkingBlockIsRefused() {
        JsonNode toolUse = http.ok(PATH, req("\"tools\":[" + TOOL + "]", USER)).path("content").get(0);
        String body = req(THINKING + ",\"tools\":[" + TOOL + "]", USER, assistant(toolUse), toolResult(toolUse));
        assertThat(http.error(400, PATH, body)).isEqualTo("messages.1.content.0.type: Expected `thinking` or "
                + "`redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must "
                + "start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We "
                + "recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. "
                + "Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking");
        assertThat(http.post(PATH, req("\"tools\":[" + TOOL + "]", USER, assistant(toolUse), toolResult(toolUse))).statusCode())
                .isEqualTo(200);
    }

    @Test
    void stream_thinking_sendsThinkingDeltasAndSignatureBeforeTheText() {
        List<Event> events = http.stream(PATH, "{\"model\":\"claude-x\",\"max_tokens\":4,\"stream\":true," + THINKING
                + ",\"messages\":[" + USER + "]}");
        var expected = new ArrayList<String>(List.of("message_start", "content_block_start", "ping"));
        expected.addAll(Collections.nCopies(9, "content_block_delta"));
        expected.addAll(List.of("content_block_stop", "content_block_start"));
        expected.addAll(Collections.nCopies(4, "content_block_delta"));
        expected.addAll(List.of("content_block_stop", "message_delta", "message_stop"));
        assertThat(events).extracting(Event::name).containsExactlyElementsOf(expected);
        List<JsonNode> d = MockHttp.data(events);
        for (int i = 0; i < d.size(); i++) assertThat(d.get(i).path("type").asText()).isEqualTo(events.get(i).name());
        assertThat(d.get(1).path("content_block").path("type").asText()).isEqualTo("thinking");
        assertThat(d.get(1).path("index").asInt()).isZero();
        var thinking = new StringBuilder();
        for (JsonNode e : d.subList(3, 11)) {
            assertThat(e.path("delta").path("type").asText()).isEqualTo("thinking_delta");
            thinking.append(e.path("delta").path("thinking").asText());
        }
        JsonNode signature = d.get(11).path("delta");
        assertThat(signature.path("type").asText()).isEqualTo("signature_delta");
        assertThat(d.get(13).path("index").asInt()).isEqualTo(1);
        assertThat(d.get(13).path("content_block").path("type").asText()).isEqualTo("text");
        assertThat(d.get(14).path("delta").path("type").asText()).isEqualTo("text_delta");
        assertThat(d.get(14).path("index").asInt()).isEqualTo(1);
        assertThat(d.get(19).path("usage").path("output_tokens").asInt()).isEqualTo(4 + 8);

        ObjectNode block = MockHttp.obj("{\"type\":\"thinking\"}").put("thinking", thinking.toString())
                .put("signature", signature.path("signature").asText());
        JsonNode text = MockHttp.obj("{\"type\":\"text\",\"text\":\"Sunny.\"}");
        assertThat(http.post(PATH, req(THINKING, USER, assistant(block, text), "{\"role\":\"user\",\"content\":\"Thanks\"}"))
                .statusCode()).isEqualTo(200);
    }

    @Test
    void cacheControl_writesOnFirstSightAndReadsAfterwards() {
        String system = "\"system\":[{\"type\":\"text\",\"text\":\"" + "S".repeat(400) + "\",\"cache_control\":{\"type\":\"ephemeral\"}}]";
        JsonNode first = http.ok(PATH, req(system, "{\"role\":\"user\",\"content\":\"Hello\"}")).path("usage");
        assertThat(first.path("cache_creation_input_tokens").asInt()).isEqualTo(100);
        assertThat(first.path("cache_read_input_tokens").asInt()).isZero();
        assertThat(first.path("input_tokens").asInt()).isEqualTo(2);
        JsonNode second = http.ok(PATH, req(system, "{\"role\":\"user\",\"content\":\"Hello again\"}")).path("usage");
        assertThat(second.path("cache_creation_input_tokens").asInt()).isZero();
        assertThat(second.path("cache_read_input_tokens").asInt()).isEqualTo(100);
        assertThat(second.path("input_tokens").asInt()).isEqualTo((411 + 3) / 4 - 100);

        String marked = "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"" + "U".repeat(200)
                + "\",\"cache_control\":{\"type\":\"ephemeral\"}}]}";
        JsonNode third = http.ok(PATH, req(system, marked)).path("usage");
        assertThat(third.path("cache_read_input_tokens").asInt()).isEqualTo(100);
        assertThat(third.path("cache_creation_input_tokens").asInt()).isEqualTo(50);
        JsonNode fourth = http.ok(PATH, req(system, marked, "{\"role\":\"assistant\",\"content\":\"ok\"}",
                "{\"role\":\"user\",\"content\":\"more\"}")).path("usage");
        assertThat(fourth.path("cache_read_input_tokens").asInt()).isEqualTo(150);
        assertThat(fourth.path("cache_creation_input_tokens").asInt()).isZero();

        http.upstream.reset();
        assertThat(http.ok(PATH, req(system, marked)).path("usage").path("cache_creation_input_tokens").asInt()).isEqualTo(150);
        JsonNode plain = http.ok(PATH, req("", USER)).path("usage");
        assertThat(plain.path("cache_creation_input_tokens").asInt()).isZero();
        assertThat(plain.path("cache_read_input_tokens").asInt()).isZero();
    }

    @Test
    void stream_cacheUsageIsInMessageStart() {
        String system = "\"system\":[{\"type\":\"text\",\"text\":\"" + "S".repeat(40) + "\",\"cache_control\":{\"type\":\"ephemeral\"}}]";
        http.ok(PATH, req(system, USER));
        List<Event> events = http.stream(PATH, req(system + ",\"stream\":true", USER));
        JsonNode usage = MockHttp.json(events.getFirst().data()).path("message").path("usage");
        assertThat(usage.path("cache_read_input_tokens").asInt()).isEqualTo(10);
        assertThat(usage.path("cache_creation_input_tokens").asInt()).isZero();
    }

    @Test
    void moreThanFourCacheBreakpoints_areRefused() {
        var blocks = new ArrayList<String>();
        for (int i = 0; i < 5; i++) blocks.add("{\"type\":\"text\",\"text\":\"b" + i + "\",\"cache_control\":{\"type\":\"ephemeral\"}}");
        String body = req("\"system\":[" + String.join(",", blocks.subList(0, 3)) + "]",
                "{\"role\":\"user\",\"content\":[" + String.join(",", blocks.subList(3, 5)) + "]}");
        assertThat(http.error(400, PATH, body)).isEqualTo("A maximum of 4 blocks with cache_control may be provided. Found 5.");
        String four = req("\"system\":[" + String.join(",", blocks.subList(0, 3)) + "]",
                "{\"role\":\"user\",\"content\":[" + blocks.get(3) + "]}");
        assertThat(http.post(PATH, four).statusCode()).isEqualTo(200);
    }

    @Test
    void countTokens_countsSystemMessagesAndToolsAsTheAnswerDoes() {
        String body = "{\"model\":\"claude-x\",\"system\":\"Be brief. \",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
        assertThat(http.ok(COUNT, body).path("input_tokens").asInt()).isEqualTo(4);
        assertThat(http.upstream.stats().requests(COUNT)).isEqualTo(1);

        String withTools = "{\"model\":\"claude-x\",\"tools\":[" + TOOL + "],\"system\":[{\"type\":\"text\",\"text\":\""
                + "S".repeat(100) + "\",\"cache_control\":{\"type\":\"ephemeral\"}}],\"messages\":[" + USER + "]}";
        long counted = http.ok(COUNT, withTools).path("input_tokens").asLong();
        long toolChars = ("get_weather" + MockHttp.json(TOOL).path("input_schema")).length();
        assertThat(counted).isEqualTo((toolChars + 100 + "Weather in Paris?".length() + 3) / 4);
        for (int turn = 0; turn < 2; turn++) {
            JsonNode usage = http.ok(PATH, MockHttp.obj(withTools).put("max_tokens", 10)).path("usage");
            assertThat(usage.path("input_tokens").asLong() + usage.path("cache_creation_input_tokens").asLong()
                    + usage.path("cache_read_input_tokens").asLong()).isEqualTo(counted);
        }
        assertThat(http.error(400, COUNT, "{\"model\":\"claude-x\",\"messages\":[]}")).startsWith("messages:");
    }

    @Test
    void strictHeader_refusesTopLevelFieldsAnthropicDoesNotKnow() {
        String body = req("\"reasoning_effort\":\"high\"", USER);
        assertThat(http.error(400, PATH, body, "x-mock-strict", "true"))
                .isEqualTo("reasoning_effort: Extra inputs are not permitted");
        assertThat(http.post(PATH, body).statusCode()).isEqualTo(200);
        String known = req("\"metadata\":{\"user_id\":\"u\"},\"context_management\":{\"edits\":[]},\"top_k\":5", USER);
        assertThat(http.post(PATH, known, "x-mock-strict", "true").statusCode()).isEqualTo(200);
        assertThat(http.error(400, COUNT, "{\"model\":\"c\",\"max_tokens\":5,\"messages\":[" + USER + "]}", "x-mock-strict", "true"))
                .isEqualTo("max_tokens: Extra inputs are not permitted");
    }

    @Test
    void claudeCodeRequests_streamThinkingThenToolUseAndVerifyTheEchoedSignature() {
        ObjectNode toolCall = MockHttp.agentRequest("claude-code-messages-stream-tool-call.json");
        List<JsonNode> d = MockHttp.data(http.stream(PATH, toolCall, "x-mock-strict", "true"));
        assertThat(d.get(1).path("content_block").path("type").asText()).isEqualTo("thinking");
        JsonNode start = d.getFirst().path("message").path("usage");
        assertThat(start.path("cache_creation_input_tokens").asInt()).isPositive();
        var thinking = new StringBuilder();
        String signature = null;
        JsonNode toolUse = null;
        for (JsonNode e : d) {
            JsonNode delta = e.path("delta");
            if ("thinking_delta".equals(delta.path("type").asText())) thinking.append(delta.path("thinking").asText());
            if ("signature_delta".equals(delta.path("type").asText())) signature = delta.path("signature").asText();
            if ("tool_use".equals(e.path("content_block").path("type").asText())) toolUse = e.path("content_block");
        }
        assertThat(toolUse).isNotNull();
        assertThat(toolUse.path("name").asText()).isEqualTo(toolCall.path("tools").get(0).path("name").asText());

        ObjectNode afterTool = MockHttp.agentRequest("claude-code-messages-stream-after-tool.json");
        assertThat(http.error(400, PATH, afterTool)).isEqualTo("messages.1.content.0: invalid signature in thinking block");
        ObjectNode block = (ObjectNode) afterTool.path("messages").get(1).path("content").get(0);
        block.put("thinking", thinking.toString()).put("signature", signature);
        List<JsonNode> after = MockHttp.data(http.stream(PATH, afterTool, "x-mock-strict", "true"));
        assertThat(after.getFirst().path("message").path("usage").path("cache_read_input_tokens").asInt()).isPositive();
        assertThat(after).anySatisfy(e -> assertThat(e.path("content_block").path("type").asText()).isEqualTo("text"));

        ArrayNode content = (ArrayNode) afterTool.path("messages").get(1).path("content");
        content.remove(0);
        assertThat(http.error(400, PATH, afterTool)).startsWith("messages.1.content.0.type: Expected `thinking`");
    }

    @Test
    void claudeCodeRequests_directivesCallReadWithTheGivenPathThenQuoteTheFile() {
        ObjectNode toolCall = MockHttp.agentRequest("claude-code-messages-stream-tool-call.json");
        toolCall.remove("thinking");
        ArrayNode blocks = (ArrayNode) toolCall.path("messages").get(0).path("content");
        ((ObjectNode) blocks.get(blocks.size() - 1)).put("text", "[[mock-tool Read {\"file_path\":\"/work/x.txt\"}]]");
        var input = new StringBuilder();
        JsonNode toolUse = null;
        for (JsonNode e : MockHttp.data(http.stream(PATH, toolCall, "x-mock-strict", "true"))) {
            if ("tool_use".equals(e.path("content_block").path("type").asText())) toolUse = e.path("content_block");
            if ("input_json_delta".equals(e.path("delta").path("type").asText())) input.append(e.path("delta").path("partial_json").asText());
        }
        assertThat(toolUse).isNotNull();
        assertThat(toolUse.path("name").asText()).isEqualTo("Read");
        assertThat(input.toString()).isEqualTo("{\"file_path\":\"/work/x.txt\"}");

        ObjectNode use = copy(toolUse).put("type", "tool_use");
        use.set("input", MockHttp.json(input.toString()));
        ArrayNode messages = (ArrayNode) toolCall.path("messages");
        messages.add(MockHttp.json(assistant(use)));
        messages.add(MockHttp.json("{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\""
                + use.path("id").asText() + "\",\"content\":[{\"type\":\"text\",\"text\":\"1\\tKOALA_1 starts the file.\"}]}]}"));
        toolCall.put("stream", false);
        JsonNode answer = http.ok(PATH, toolCall, "x-mock-strict", "true");
        assertThat(answer.path("content").get(0).path("text").asText())
                .isEqualTo("Mock answer: the tool said: 1\tKOALA_1 starts the file.");
        assertThat(answer.path("stop_reason").asText()).isEqualTo("end_turn");

        ObjectNode plain = MockHttp.agentRequest("claude-code-messages-stream-plain.json");
        plain.remove("thinking");
        plain.put("stream", false);
        ArrayNode last = (ArrayNode) plain.path("messages").get(plain.path("messages").size() - 1).path("content");
        last.addObject().put("type", "text").put("text", "[[mock-say ARBITER-OK-1]]");
        assertThat(http.ok(PATH, plain).path("content").get(0).path("text").asText()).isEqualTo("ARBITER-OK-1");
    }
}
