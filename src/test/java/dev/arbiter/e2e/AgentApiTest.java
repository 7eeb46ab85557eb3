package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.wire.Json;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every inbound format x every backend format, streaming and not, with a tool-call round trip in each, over real
 * HTTP in front of a mock-upstream that speaks all three formats natively (and an in-process mock).
 */
class AgentApiTest {
    static Fixture f;

    @BeforeAll
    static void start() {
        f = new Fixture();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}";

    static Stream<Arguments> matrix() {
        var out = new ArrayList<Arguments>();
        for (String inbound : List.of("chat", "messages", "responses")) {
            for (String model : List.of("chat-openai", "chat-anthropic", "resp-openai", "mock-chat")) {
                for (boolean stream : List.of(false, true)) out.add(Arguments.of(inbound, model, stream));
            }
        }
        return out.stream();
    }

    static Turn call(String inbound, String body, boolean stream) {
        String path = switch (inbound) {
            case "chat" -> "/v1/chat/completions";
            case "messages" -> "/v1/messages";
            default -> "/v1/responses";
        };
        HttpResponse<String> r = f.post(path, body, Map.of("anthropic-version", "2023-06-01"));
        assertThat(r.statusCode()).as(inbound + " " + body + " -> " + r.body()).isEqualTo(200);
        if (stream) assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        return switch (inbound) {
            case "chat" -> Turn.chat(r.body(), stream);
            case "messages" -> Turn.messages(r.body(), stream);
            default -> Turn.responses(r.body(), stream);
        };
    }

    static String firstRequest(String inbound, String model, boolean stream) {
        return switch (inbound) {
            case "chat" -> """
                    {"model":"%s","stream":%s,"messages":[{"role":"user","content":"What is the weather in Paris?"}],
                     "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":%s}}]}"""
                    .formatted(model, stream, SCHEMA);
            case "messages" -> """
                    {"model":"%s","stream":%s,"max_tokens":256,"messages":[{"role":"user","content":"What is the weather in Paris?"}],
                     "tools":[{"name":"get_weather","description":"Weather","input_schema":%s}]}""".formatted(model, stream, SCHEMA);
            default -> """
                    {"model":"%s","stream":%s,"store":false,"input":"What is the weather in Paris?",
                     "tools":[{"type":"function","name":"get_weather","description":"Weather","parameters":%s}]}"""
                    .formatted(model, stream, SCHEMA);
        };
    }

    static String secondRequest(String inbound, String model, boolean stream, Turn.Call call) {
        return switch (inbound) {
            case "chat" -> """
                    {"model":"%s","stream":%s,"messages":[{"role":"user","content":"What is the weather in Paris?"},
                     {"role":"assistant","content":null,"tool_calls":[{"id":"%s","type":"function","function":{"name":"%s","arguments":%s}}]},
                     {"role":"tool","tool_call_id":"%s","content":"sunny, 21C"}],
                     "tools":[{"type":"function","function":{"name":"get_weather","parameters":%s}}]}"""
                    .formatted(model, stream, call.id(), call.name(), Json.NODES.textNode(call.arguments()), call.id(), SCHEMA);
            case "messages" -> """
                    {"model":"%s","stream":%s,"max_tokens":256,"messages":[{"role":"user","content":"What is the weather in Paris?"},
                     {"role":"assistant","content":[{"type":"tool_use","id":"%s","name":"%s","input":%s}]},
                     {"role":"user","content":[{"type":"tool_result","tool_use_id":"%s","content":"sunny, 21C"}]}],
                     "tools":[{"name":"get_weather","input_schema":%s}]}"""
                    .formatted(model, stream, call.id(), call.name(), call.arguments(), call.id(), SCHEMA);
            default -> """
                    {"model":"%s","stream":%s,"store":false,"input":[{"role":"user","content":"What is the weather in Paris?"},
                     {"type":"function_call","call_id":"%s","name":"%s","arguments":%s},
                     {"type":"function_call_output","call_id":"%s","output":"sunny, 21C"}],
                     "tools":[{"type":"function","name":"get_weather","parameters":%s}]}"""
                    .formatted(model, stream, call.id(), call.name(), Json.NODES.textNode(call.arguments()), call.id(), SCHEMA);
        };
    }

    @ParameterizedTest(name = "{0} client -> {1}, stream={2}")
    @MethodSource("matrix")
    void toolRoundTrip_everyInboundFormatTimesEveryBackend(String inbound, String model, boolean stream) {
        Turn first = call(inbound, firstRequest(inbound, model, stream), stream);
        assertThat(first.complete()).isTrue();
        assertThat(first.calls()).as("tool call from " + model).hasSize(1);
        Turn.Call c = first.calls().getFirst();
        assertThat(c.name()).isEqualTo("get_weather");
        assertThat(c.id()).isNotBlank();
        assertThat(Json.parse(c.arguments()).path("city").isTextual()).as(c.arguments()).isTrue();
        assertThat(first.finish()).isIn("tool_calls", "tool_use", "completed");

        Turn second = call(inbound, secondRequest(inbound, model, stream, c), stream);
        assertThat(second.complete()).isTrue();
        assertThat(second.calls()).isEmpty();
        assertThat(second.text()).isNotBlank();
        assertThat(second.finish()).isIn("stop", "end_turn", "completed");
    }

    @Test
    void chatToAnthropic_parallelToolResults_goUpstreamInOneUserTurnMatchedById() {
        var viaChat = f.post("/v1/chat/completions", Json.string(chatFromMessages()));
        assertThat(viaChat.statusCode()).as(viaChat.body()).isEqualTo(200);
        JsonNode sent = Json.parse(f.upstream.stats().lastBody());
        JsonNode last = sent.path("messages").get(sent.path("messages").size() - 1);
        assertThat(last.path("role").asText()).isEqualTo("user");
        assertThat(last.path("content")).hasSize(2);
        assertThat(last.at("/content/0/tool_use_id").asText()).isEqualTo("toolu_a");
        assertThat(last.at("/content/1/tool_use_id").asText()).isEqualTo("toolu_b");
    }

    /** The same conversation as an OpenAI chat client sends it. */
    static ObjectNode chatFromMessages() {
        ObjectNode o = (ObjectNode) Json.parse("""
                {"model":"chat-anthropic","messages":[{"role":"user","content":"two cities"},
                 {"role":"assistant","content":null,"tool_calls":[
                   {"id":"toolu_a","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}},
                   {"id":"toolu_b","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Rome\\"}"}}]},
                 {"role":"tool","tool_call_id":"toolu_a","content":"sunny"},
                 {"role":"tool","tool_call_id":"toolu_b","content":"rain"}],
                 "tools":[{"type":"function","function":{"name":"get_weather","parameters":%s}}]}""".formatted(SCHEMA));
        return o;
    }

    /** Codex CLI's goal feature: a tool output with a name and namespace but no call_id, after a call of another name. */
    static final String CODEX_GOAL_TURN = """
            {"model":"%s","stream":%s,"store":false,"input":[{"role":"user","content":"Set a goal: ship it"},
              {"type":"function_call","call_id":"call_goal","name":"create_goal","arguments":"{\\"objective\\":\\"ship it\\"}"},
              {"type":"function_call_output","call_id":"call_goal","output":"goal created"},
              {"type":"function_call_output","id":"fco_1","name":"goal_objective","namespace":"agent","output":"OBJECTIVE-SHIP"},
              {"type":"function_call","call_id":"call_w","name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"},
              {"type":"function_call_output","name":"get_weather","output":"sunny"}],
             "tools":[{"type":"function","name":"create_goal","parameters":{"type":"object","properties":{}}},
                      {"type":"function","name":"get_weather","parameters":%s}]}""";

    @ParameterizedTest(name = "{0}, stream={1}")
    @MethodSource("everyBackend")
    void responsesOutputWithoutCallId_acceptedAndMappedForEveryBackend(String model, boolean stream) {
        f.upstream.reset();
        Turn t = call("responses", CODEX_GOAL_TURN.formatted(model, stream, SCHEMA), stream);
        assertThat(t.complete()).isTrue();
        if (model.equals("mock-chat")) return;   // in process: nothing goes over the wire
        JsonNode sent = Json.parse(f.upstream.stats().lastBody());
        switch (model) {
            case "resp-openai" -> assertThat(sent.get("input").get(3)).isEqualTo(Json.parse("""
                    {"type":"function_call_output","id":"fco_1","name":"goal_objective","namespace":"agent","output":"OBJECTIVE-SHIP"}"""));
            case "chat-openai" -> {
                JsonNode m = sent.get("messages");
                assertThat(m).extracting(x -> x.get("role").asText())
                        .containsExactly("user", "assistant", "tool", "user", "assistant", "tool");
                assertThat(m.get(3).get("content").asText()).contains("agent.goal_objective", "OBJECTIVE-SHIP");
                assertThat(m.get(5).get("tool_call_id").asText()).isEqualTo("call_w");
            }
            default -> {
                JsonNode m = sent.get("messages");
                assertThat(m).extracting(x -> x.get("role").asText()).containsExactly("user", "assistant", "user", "assistant", "user");
                assertThat(m.get(2).get("content")).extracting(b -> b.get("type").asText()).containsExactly("tool_result", "text");
                assertThat(m.at("/2/content/1/text").asText()).contains("agent.goal_objective", "OBJECTIVE-SHIP");
                assertThat(m.at("/4/content/0/tool_use_id").asText()).isEqualTo("call_w");
            }
        }
    }

    static Stream<Arguments> everyBackend() {
        return matrix().map(Arguments::get).filter(a -> a[0].equals("responses")).map(a -> Arguments.of(a[1], a[2]));
    }

    @Test
    void streamedToolArguments_arriveAsTheyAreGenerated_notAsOneLateChunk() {
        var r = f.post("/v1/messages", firstRequest("messages", "chat-openai", true));
        long fragments = EndpointsTest.sseData(r.body()).stream().filter(d -> d.contains("input_json_delta")).count();
        assertThat(fragments).isGreaterThan(1);
        var c = f.post("/v1/chat/completions", firstRequest("chat", "chat-anthropic", true));
        long argChunks = EndpointsTest.sseData(c.body()).stream().filter(d -> d.contains("\"arguments\"")).count();
        assertThat(argChunks).isGreaterThan(1);
    }
}
