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

class MockResponsesTest {
    private static final String PATH = "/v1/responses";
    private static final String WEATHER = """
            {"type":"function","name":"get_weather","parameters":
             {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}""";
    private static final String PATCH = """
            {"type":"custom","name":"apply_patch","description":"Edit files.",
             "format":{"type":"grammar","syntax":"lark","definition":"start: begin_patch hunk+ end_patch"}}""";
    private static final String USER = "{\"role\":\"user\",\"content\":\"What is the weather in Paris?\"}";

    private final MockHttp http = new MockHttp();

    @AfterEach
    void stop() {
        http.close();
    }

    private static List<String> names(List<Event> events) {
        return events.stream().map(Event::name).toList();
    }

    private static List<String> expected(String... parts) {
        var out = new ArrayList<String>();
        for (String p : parts) {
            int star = p.indexOf(" x");
            if (star < 0) out.add(p);
            else out.addAll(Collections.nCopies(Integer.parseInt(p.substring(star + 2)), p.substring(0, star)));
        }
        return out;
    }

    /** Every event names its type on its event line and numbers itself in order from 0. */
    private static List<JsonNode> checkedEvents(List<Event> events) {
        List<JsonNode> data = MockHttp.data(events);
        for (int i = 0; i < events.size(); i++) {
            assertThat(data.get(i).path("type").asText()).isEqualTo(events.get(i).name());
            assertThat(data.get(i).path("sequence_number").asInt()).isEqualTo(i);
        }
        return data;
    }

    @Test
    void text_answersAResponseObjectEchoingTheRequest() {
        JsonNode r = http.ok(PATH, """
                {"model":"gpt-x","instructions":"Be brief. ","input":"Hello","temperature":0.5,"metadata":{"k":"v"}}""");
        assertThat(r.path("id").asText()).startsWith("resp_");
        assertThat(r.path("object").asText()).isEqualTo("response");
        assertThat(r.path("created_at").asLong()).isPositive();
        assertThat(r.path("status").asText()).isEqualTo("completed");
        assertThat(r.path("model").asText()).isEqualTo("gpt-x");
        assertThat(r.path("output")).hasSize(1);
        JsonNode msg = r.path("output").get(0);
        assertThat(msg.path("type").asText()).isEqualTo("message");
        assertThat(msg.path("id").asText()).startsWith("msg_");
        assertThat(msg.path("role").asText()).isEqualTo("assistant");
        assertThat(msg.path("status").asText()).isEqualTo("completed");
        JsonNode part = msg.path("content").get(0);
        assertThat(part.path("type").asText()).isEqualTo("output_text");
        assertThat(part.path("annotations").isArray()).isTrue();
        String expected = new MockEngine(MockConfig.DEFAULT).answer(MockEngine.Prompt.text("Be brief. Hello"))
                .alternatives().getFirst().text();
        assertThat(part.path("text").asText()).isEqualTo(expected);
        JsonNode usage = r.path("usage");
        assertThat(usage.path("input_tokens").asInt()).isEqualTo(4);
        assertThat(usage.path("input_tokens_details").path("cached_tokens").asInt()).isZero();
        assertThat(usage.path("output_tokens").asInt()).isEqualTo(16);
        assertThat(usage.path("output_tokens_details").path("reasoning_tokens").asInt()).isZero();
        assertThat(usage.path("total_tokens").asInt()).isEqualTo(20);
        assertThat(r.path("instructions").asText()).isEqualTo("Be brief. ");
        assertThat(r.path("temperature").asDouble()).isEqualTo(0.5);
        assertThat(r.path("metadata").path("k").asText()).isEqualTo("v");
        assertThat(r.path("tool_choice").asText()).isEqualTo("auto");
        assertThat(r.path("parallel_tool_calls").asBoolean()).isTrue();
        assertThat(r.path("store").asBoolean()).isTrue();
        assertThat(r.path("tools").isArray()).isTrue();
        assertThat(r.path("text").path("format").path("type").asText()).isEqualTo("text");
        assertThat(r.path("reasoning").path("effort").isNull()).isTrue();
        assertThat(r.path("error").isNull()).isTrue();
        assertThat(http.upstream.stats().requests(PATH)).isEqualTo(1);
    }

    /** Found by fuzzing through the gateway: an empty input made the mock fail with a 500. */
    @Test
    void emptyInput_stillAnswers() {
        for (String input : new String[] {"[]", "[{\"role\":\"developer\",\"content\":\"Be brief.\"}]"}) {
            JsonNode r = http.ok(PATH, "{\"model\":\"m\",\"instructions\":\"Be brief.\",\"input\":" + input + "}");
            assertThat(r.path("status").asText()).isEqualTo("completed");
        }
    }

    @Test
    void stream_text_sendsTheExactTypedEventSequence() {
        List<Event> events = http.stream(PATH, "{\"model\":\"m\",\"stream\":true,\"input\":[" + USER + "]}");
        assertThat(names(events)).containsExactlyElementsOf(expected("response.created", "response.in_progress",
                "response.output_item.added", "response.content_part.added", "response.output_text.delta x16",
                "response.output_text.done", "response.content_part.done", "response.output_item.done",
                "response.completed"));
        List<JsonNode> d = checkedEvents(events);
        JsonNode created = d.get(0).path("response");
        assertThat(created.path("status").asText()).isEqualTo("in_progress");
        assertThat(created.path("output").isEmpty()).isTrue();
        assertThat(created.path("usage").isNull()).isTrue();
        JsonNode added = d.get(2).path("item");
        assertThat(added.path("status").asText()).isEqualTo("in_progress");
        assertThat(added.path("content").isEmpty()).isTrue();
        String itemId = added.path("id").asText();
        var text = new StringBuilder();
        for (JsonNode e : d.subList(4, 20)) {
            assertThat(e.path("item_id").asText()).isEqualTo(itemId);
            assertThat(e.path("output_index").asInt()).isZero();
            assertThat(e.path("content_index").asInt()).isZero();
            text.append(e.path("delta").asText());
        }
        assertThat(text.toString()).startsWith("Mock answer:");
        assertThat(d.get(20).path("text").asText()).isEqualTo(text.toString());
        assertThat(d.get(21).path("part").path("text").asText()).isEqualTo(text.toString());
        JsonNode done = d.get(23).path("response");
        assertThat(done.path("status").asText()).isEqualTo("completed");
        assertThat(done.path("output").get(0)).isEqualTo(d.get(22).path("item"));
        assertThat(done.path("usage").path("output_tokens").asInt()).isEqualTo(16);
        assertThat(http.upstream.stats().streamsCompleted()).isEqualTo(1);
    }

    @Test
    void functionTool_answersAFunctionCallThenTextAfterItsOutput() {
        String req = "{\"model\":\"m\",\"input\":[" + USER + "],\"tools\":[" + WEATHER + "]";
        JsonNode call = http.ok(PATH, req + "}").path("output").get(0);
        assertThat(call.path("type").asText()).isEqualTo("function_call");
        assertThat(call.path("id").asText()).startsWith("fc_");
        assertThat(call.path("call_id").asText()).matches("call_[0-9a-f]{24}");
        assertThat(call.path("name").asText()).isEqualTo("get_weather");
        assertThat(call.path("status").asText()).isEqualTo("completed");
        assertThat(MockHttp.json(call.path("arguments").asText())).isEqualTo(MockHttp.json("{\"city\":\"mock\"}"));

        List<Event> events = http.stream(PATH, req + ",\"stream\":true}");
        assertThat(names(events)).containsExactly("response.created", "response.in_progress", "response.output_item.added",
                "response.function_call_arguments.delta", "response.function_call_arguments.delta",
                "response.function_call_arguments.delta", "response.function_call_arguments.done",
                "response.output_item.done", "response.completed");
        List<JsonNode> d = checkedEvents(events);
        assertThat(d.get(2).path("item").path("arguments").asText()).isEmpty();
        String args = d.get(3).path("delta").asText() + d.get(4).path("delta").asText() + d.get(5).path("delta").asText();
        assertThat(d.get(6).path("arguments").asText()).isEqualTo(args).isEqualTo(call.path("arguments").asText());
        assertThat(d.get(7).path("item").path("call_id").asText()).isEqualTo(call.path("call_id").asText());

        String after = "{\"model\":\"m\",\"input\":[" + USER + "," + call + ",{\"type\":\"function_call_output\",\"call_id\":\""
                + call.path("call_id").asText() + "\",\"output\":\"sunny\"}],\"tools\":[" + WEATHER + "]}";
        JsonNode answer = http.ok(PATH, after).path("output").get(0);
        assertThat(answer.path("type").asText()).isEqualTo("message");
        assertThat(answer.path("content").get(0).path("text").asText()).startsWith("Mock answer:");
    }

    @Test
    void customTool_answersRawMultiLineInputThenTextAfterItsOutput() {
        String req = "{\"model\":\"m\",\"input\":\"Say hello in a file\",\"tools\":[" + PATCH + "]";
        var raw = http.post(PATH, req + "}");
        assertThat(raw.body()).contains("+Hello \\\"mock\\\"\\n");
        JsonNode call = MockHttp.json(raw.body()).path("output").get(0);
        assertThat(call.path("type").asText()).isEqualTo("custom_tool_call");
        assertThat(call.path("id").asText()).startsWith("ctc_");
        assertThat(call.path("call_id").asText()).startsWith("call_");
        assertThat(call.path("name").asText()).isEqualTo("apply_patch");
        assertThat(call.path("input").asText())
                .isEqualTo("*** Begin Patch\n*** Add File: hello.txt\n+Hello \"mock\"\n*** End Patch\n")
                .isEqualTo(MockEngine.CUSTOM_INPUT);

        List<Event> events = http.stream(PATH, req + ",\"stream\":true}");
        assertThat(names(events)).containsExactly("response.created", "response.in_progress", "response.output_item.added",
                "response.custom_tool_call_input.delta", "response.custom_tool_call_input.delta",
                "response.custom_tool_call_input.delta", "response.custom_tool_call_input.done",
                "response.output_item.done", "response.completed");
        List<JsonNode> d = checkedEvents(events);
        assertThat(d.get(2).path("item").path("input").asText()).isEmpty();
        String input = d.get(3).path("delta").asText() + d.get(4).path("delta").asText() + d.get(5).path("delta").asText();
        assertThat(input).isEqualTo(MockEngine.CUSTOM_INPUT);
        assertThat(d.get(6).path("input").asText()).isEqualTo(MockEngine.CUSTOM_INPUT);
        assertThat(d.get(7).path("item").path("input").asText()).isEqualTo(MockEngine.CUSTOM_INPUT);

        String after = "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":\"Say hello in a file\"}," + call
                + ",{\"type\":\"custom_tool_call_output\",\"call_id\":\"" + call.path("call_id").asText()
                + "\",\"output\":\"Done!\"}],\"tools\":[" + PATCH + "]}";
        assertThat(http.ok(PATH, after).path("output").get(0).path("type").asText()).isEqualTo("message");
    }

    @Test
    void toolChoice_namesTheToolOrTurnsToolsOff() {
        String tools = ",\"tools\":[" + WEATHER + "," + PATCH + "]";
        JsonNode first = http.ok(PATH, "{\"model\":\"m\",\"input\":\"x\"" + tools + "}").path("output").get(0);
        assertThat(first.path("name").asText()).isEqualTo("get_weather");
        JsonNode named = http.ok(PATH, "{\"model\":\"m\",\"input\":\"x\"" + tools
                + ",\"tool_choice\":{\"type\":\"custom\",\"name\":\"apply_patch\"}}").path("output").get(0);
        assertThat(named.path("type").asText()).isEqualTo("custom_tool_call");
        JsonNode none = http.ok(PATH, "{\"model\":\"m\",\"input\":\"x\"" + tools + ",\"tool_choice\":\"none\"}");
        assertThat(none.path("output").get(0).path("type").asText()).isEqualTo("message");
        assertThat(none.path("tool_choice").asText()).isEqualTo("none");
    }

    @Test
    void hostedTool_isRefusedAsUnsupported() {
        var res = http.post(PATH, "{\"model\":\"m\",\"input\":\"x\",\"tools\":[" + WEATHER + ",{\"type\":\"web_search\"}]}");
        assertThat(res.statusCode()).isEqualTo(400);
        JsonNode error = MockHttp.json(res.body()).path("error");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("message").asText())
                .isEqualTo("tools[1].type: unsupported tool type 'web_search' (expected: function, custom)");
    }

    @Test
    void reasoning_addsAReasoningItemWithSummaryAndEncryptedContentAsAsked() {
        JsonNode r = http.ok(PATH, "{\"model\":\"m\",\"input\":\"x\",\"reasoning\":{\"effort\":\"high\",\"summary\":\"auto\"},"
                + "\"include\":[\"reasoning.encrypted_content\"]}");
        JsonNode item = r.path("output").get(0);
        assertThat(item.path("type").asText()).isEqualTo("reasoning");
        assertThat(item.path("id").asText()).startsWith("rs_");
        assertThat(item.path("summary").get(0).path("type").asText()).isEqualTo("summary_text");
        assertThat(item.path("summary").get(0).path("text").asText()).startsWith("Mock reasoning:");
        assertThat(item.path("encrypted_content").asText()).isNotEmpty();
        assertThat(r.path("output").get(1).path("type").asText()).isEqualTo("message");
        assertThat(r.path("usage").path("output_tokens_details").path("reasoning_tokens").asInt()).isEqualTo(12);
        assertThat(r.path("usage").path("output_tokens").asInt()).isEqualTo(16 + 12);
        assertThat(r.path("reasoning").path("effort").asText()).isEqualTo("high");

        JsonNode plain = http.ok(PATH, "{\"model\":\"m\",\"input\":\"x\",\"reasoning\":{\"effort\":\"low\"}}").path("output").get(0);
        assertThat(plain.path("summary").isEmpty()).isTrue();
        assertThat(plain.has("encrypted_content")).isFalse();
        JsonNode off = http.ok(PATH, "{\"model\":\"m\",\"input\":\"x\",\"reasoning\":{\"effort\":\"none\"}}");
        assertThat(off.path("output")).hasSize(1);
    }

    @Test
    void stream_reasoning_sendsSummaryEventsBeforeTheMessage() {
        List<Event> events = http.stream(PATH, "{\"model\":\"m\",\"stream\":true,\"input\":\"x\",\"max_output_tokens\":4,"
                + "\"reasoning\":{\"effort\":\"minimal\",\"summary\":\"concise\"},\"include\":[\"reasoning.encrypted_content\"]}");
        assertThat(names(events)).containsExactlyElementsOf(expected("response.created", "response.in_progress",
                "response.output_item.added", "response.reasoning_summary_part.added",
                "response.reasoning_summary_text.delta x4", "response.reasoning_summary_text.done",
                "response.reasoning_summary_part.done", "response.output_item.done", "response.output_item.added",
                "response.content_part.added", "response.output_text.delta x4", "response.output_text.done",
                "response.content_part.done", "response.output_item.done", "response.incomplete"));
        List<JsonNode> d = checkedEvents(events);
        JsonNode added = d.get(2).path("item");
        assertThat(added.path("type").asText()).isEqualTo("reasoning");
        assertThat(added.path("summary").isEmpty()).isTrue();
        assertThat(added.has("encrypted_content")).isFalse();
        assertThat(d.get(3).path("summary_index").asInt()).isZero();
        JsonNode done = d.get(10).path("item");
        assertThat(done.path("encrypted_content").asText()).isNotEmpty();
        assertThat(done.path("summary").get(0).path("text").asText()).isEqualTo(d.get(8).path("text").asText());
        assertThat(d.get(11).path("output_index").asInt()).isEqualTo(1);
        JsonNode last = d.getLast().path("response");
        assertThat(last.path("status").asText()).isEqualTo("incomplete");
        assertThat(last.path("incomplete_details").path("reason").asText()).isEqualTo("max_output_tokens");
        assertThat(last.path("output").get(1).path("status").asText()).isEqualTo("incomplete");
    }

    @Test
    void echoedReasoning_isVerifiedAndAlteredEncryptedContentRefused() {
        String head = "{\"model\":\"m\",\"store\":false,\"include\":[\"reasoning.encrypted_content\"],"
                + "\"reasoning\":{\"effort\":\"medium\"},\"tools\":[" + WEATHER + "],\"input\":[" + USER;
        JsonNode first = http.ok(PATH, head + "]}");
        ObjectNode reasoning = (ObjectNode) first.path("output").get(0);
        JsonNode call = first.path("output").get(1);
        assertThat(call.path("type").asText()).isEqualTo("function_call");
        String output = ",{\"type\":\"function_call_output\",\"call_id\":\"" + call.path("call_id").asText() + "\",\"output\":\"sunny\"}";

        JsonNode second = http.ok(PATH, head + "," + reasoning + "," + call + output + "]}");
        assertThat(second.path("output").get(1).path("type").asText()).isEqualTo("message");

        String enc = reasoning.path("encrypted_content").asText();
        ObjectNode altered = reasoning.deepCopy().put("encrypted_content",
                enc.substring(0, 5) + (enc.charAt(5) == 'A' ? 'B' : 'A') + enc.substring(6));
        assertThat(http.error(400, PATH, head + "," + altered + "," + call + output + "]}"))
                .isEqualTo("input[1]: invalid encrypted_content for reasoning item '" + reasoning.path("id").asText()
                        + "': it could not be verified");
        String otherModel = (head + "," + reasoning + "," + call + output + "]}").replace("\"model\":\"m\"", "\"model\":\"m2\"");
        assertThat(http.error(400, PATH, otherModel)).contains("invalid encrypted_content");

        ObjectNode stripped = reasoning.deepCopy();
        stripped.remove("encrypted_content");
        assertThat(http.error(404, PATH, head + "," + stripped + "," + call + output + "]}")).isEqualTo("Item with id '"
                + reasoning.path("id").asText() + "' not found. Items are not persisted when `store` is set to false. "
                + "Try again with `store` set to true, or remove this item from your input.");
        String stored = (head + "," + stripped + "," + call + output + "]}").replace("\"store\":false", "\"store\":true");
        assertThat(http.post(PATH, stored).statusCode()).isEqualTo(200);
    }

    @Test
    void laterTurn_readsTheEarlierInputFromThePromptCache() {
        String head = "{\"model\":\"m\",\"tools\":[" + WEATHER + "],\"input\":[" + USER;
        JsonNode first = http.ok(PATH, head + "]}");
        assertThat(first.path("usage").path("input_tokens_details").path("cached_tokens").asInt()).isZero();
        JsonNode call = first.path("output").get(0);
        JsonNode second = http.ok(PATH, head + "," + call + ",{\"type\":\"function_call_output\",\"call_id\":\""
                + call.path("call_id").asText() + "\",\"output\":\"sunny and warm\"}]}");
        JsonNode usage = second.path("usage");
        assertThat(usage.path("input_tokens_details").path("cached_tokens").asInt())
                .isEqualTo(("What is the weather in Paris?".length() + 3) / 4);
        assertThat(usage.path("input_tokens").asInt()).isGreaterThan(usage.path("input_tokens_details").path("cached_tokens").asInt());
        http.upstream.reset();
        JsonNode again = http.ok(PATH, head + "]}");
        assertThat(again.path("usage").path("input_tokens_details").path("cached_tokens").asInt()).isZero();
    }

    @Test
    void previousResponseId_isNeverFound() {
        assertThat(http.error(404, PATH, "{\"model\":\"m\",\"input\":\"x\",\"previous_response_id\":\"resp_123\"}"))
                .isEqualTo("Previous response with id 'resp_123' not found.");
        assertThat(http.error(400, PATH, "{\"model\":\"m\"}")).startsWith("input: required");
    }

    @Test
    void codexRequests_hostedToolsRefusedThenAToolLoopWithVerifiedReasoning() {
        ObjectNode toolCall = MockHttp.agentRequest("codex-responses-stream-tool-call.json");
        assertThat(http.error(400, PATH, toolCall)).contains("unsupported tool type 'tool_search'");
        dropHostedTools(toolCall);
        List<JsonNode> d = checkedEvents(http.stream(PATH, toolCall));
        JsonNode output = d.getLast().path("response").path("output");
        assertThat(output.get(0).path("type").asText()).isEqualTo("reasoning");
        assertThat(output.get(0).path("encrypted_content").asText()).isNotEmpty();
        assertThat(output.get(1).path("type").asText()).isEqualTo("function_call");
        assertThat(output.get(1).path("name").asText()).isEqualTo("exec_command");

        ObjectNode afterTool = MockHttp.agentRequest("codex-responses-stream-after-tool.json");
        dropHostedTools(afterTool);
        assertThat(http.error(400, PATH, afterTool)).contains("invalid encrypted_content");
        for (JsonNode item : afterTool.path("input")) {
            if ("reasoning".equals(item.path("type").asText())) {
                ((ObjectNode) item).put("encrypted_content", output.get(0).path("encrypted_content").asText());
            }
        }
        JsonNode done = MockHttp.data(http.stream(PATH, afterTool)).getLast().path("response");
        assertThat(done.path("output").get(1).path("type").asText()).isEqualTo("message");
    }

    @Test
    void codexRequests_directivesCallExecCommandWithTheGivenCommandThenQuoteItsOutput() {
        ObjectNode toolCall = MockHttp.agentRequest("codex-responses-stream-tool-call.json");
        dropHostedTools(toolCall);
        toolCall.remove("reasoning");
        ArrayNode input = (ArrayNode) toolCall.path("input");
        ObjectNode prompt = (ObjectNode) input.get(input.size() - 1).path("content").get(0);
        prompt.put("text", "[[mock-tool exec_command {\"cmd\":\"cat hello.txt\"}]]");
        JsonNode output = MockHttp.data(http.stream(PATH, toolCall)).getLast().path("response").path("output");
        JsonNode call = output.get(0);
        assertThat(call.path("type").asText()).isEqualTo("function_call");
        assertThat(call.path("name").asText()).isEqualTo("exec_command");
        assertThat(call.path("arguments").asText()).isEqualTo("{\"cmd\":\"cat hello.txt\"}");

        input.add(call);
        input.addObject().put("type", "function_call_output").put("call_id", call.path("call_id").asText())
                .put("output", "Process exited with code 0\nOutput:\nWOMBAT_1 is the first word.\n");
        JsonNode done = MockHttp.data(http.stream(PATH, toolCall)).getLast().path("response");
        assertThat(done.path("output").get(0).path("content").get(0).path("text").asText())
                .isEqualTo("Mock answer: the tool said: Process exited with code 0\nOutput:\nWOMBAT_1 is the first word.\n");

        ObjectNode custom = MockHttp.obj("{\"model\":\"m\",\"tools\":[" + WEATHER + "," + PATCH + "],\"input\":"
                + "[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"[[mock-tool apply_patch *** Begin Patch\\n]]\"}]}]}");
        JsonNode patch = http.ok(PATH, custom).path("output").get(0);
        assertThat(patch.path("type").asText()).isEqualTo("custom_tool_call");
        assertThat(patch.path("input").asText()).isEqualTo("*** Begin Patch\n");

        assertThat(http.ok(PATH, "{\"model\":\"m\",\"input\":\"[[mock-say ARBITER-OK-2]]\",\"tools\":[" + WEATHER + "]}")
                .path("output").get(0).path("content").get(0).path("text").asText()).isEqualTo("ARBITER-OK-2");
    }

    @Test
    void agentsSdkRequests_reasoningWithoutEncryptedContentIsAcceptedWhenStored() {
        ObjectNode body = MockHttp.agentRequest("agents-sdk-responses-nonstream-after-tool.json");
        JsonNode r = http.ok(PATH, body);
        assertThat(r.path("output").get(0).path("type").asText()).isEqualTo("message");
        assertThat(r.path("model").asText()).isEqualTo(body.path("model").asText());
    }

    @Test
    void faults_dropAndMalformedCutTheTypedStream() {
        String body = "{\"model\":\"m\",\"stream\":true,\"input\":\"x\"}";
        try (var drop = new MockHttp(MockConfig.DEFAULT.withFaults(new MockConfig.Faults(0, null, 0, null, 0, 0, 0, 1, 2)))) {
            List<Event> events = drop.stream(PATH, body);
            assertThat(names(events)).containsExactly("response.created", "response.in_progress",
                    "response.output_item.added", "response.content_part.added", "response.output_text.delta",
                    "response.output_text.delta");
        }
        try (var bad = new MockHttp(MockConfig.DEFAULT.withFaults(new MockConfig.Faults(0, null, 0, null, 0, 0, 1, 0, 0)))) {
            List<Event> events = bad.stream(PATH, body);
            assertThat(events.getLast().name()).isEqualTo("response.output_text.delta");
            assertThat(events.getLast().data()).endsWith("\"delta\":\"Mo");
            assertThat(names(events)).doesNotContain("response.completed");
        }
    }

    private static void dropHostedTools(ObjectNode body) {
        ArrayNode tools = (ArrayNode) body.get("tools");
        for (int i = tools.size() - 1; i >= 0; i--) {
            String type = tools.get(i).path("type").asText();
            if (!"function".equals(type) && !"custom".equals(type)) tools.remove(i);
        }
    }
}
