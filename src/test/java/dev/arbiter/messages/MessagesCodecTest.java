package dev.arbiter.messages;

import dev.arbiter.wire.Json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.anthropic.core.ObjectMappers;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.FinishReason;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.Tool;
import dev.arbiter.llm.ToolChoice;
import dev.arbiter.llm.Usage;
import dev.arbiter.llm.WireFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MessagesCodecTest {
    private static final Path FIXTURES = Path.of(System.getProperty("user.dir")).resolve("../shared/data/agent-requests");

    static Stream<Path> claudeCodeFixtures() throws IOException {
        if (!Files.isDirectory(FIXTURES)) return Stream.of();
        try (var files = Files.list(FIXTURES)) {
            return files.filter(p -> p.getFileName().toString().startsWith("claude-code-")).sorted().toList().stream();
        }
    }

    private static ObjectNode fixtureBody(Path file) throws IOException {
        return (ObjectNode) Json.MAPPER.readTree(file.toFile()).get("body");
    }

    @Test
    void claudeCodeFixtures_present() throws IOException {
        assumeThat(Files.isDirectory(FIXTURES)).as("fixtures at %s", FIXTURES).isTrue();
        assertThat(claudeCodeFixtures()).hasSize(3);
    }

    // The captured requests live in ../shared (read in place, never copied here); without them there is nothing to run.
    @ParameterizedTest(allowZeroInvocations = true)
    @MethodSource("claudeCodeFixtures")
    void decodeRequest_claudeCodeFixture_keepsRolesPartsToolsAndExtras(Path file) throws IOException {
        ObjectNode body = fixtureBody(file);
        String before = Json.string(body);

        LlmRequest req = MessagesCodec.decodeRequest(body);

        assertThat(Json.string(body)).isEqualTo(before);
        assertThat(req.raw()).isSameAs(body);
        assertThat(req.operation()).isEqualTo(Operation.CHAT);
        assertThat(req.format()).isEqualTo(WireFormat.ANTHROPIC_MESSAGES);
        assertThat(req.model()).isEqualTo("claude-sonnet-4-5");
        assertThat(req.maxTokens()).isEqualTo(32000);
        assertThat(req.stream()).isTrue();
        assertThat(req.thinkingBudget()).isEqualTo(31999);
        assertThat(req.user()).isEqualTo(body.path("metadata").path("user_id").asText());
        assertThat(req.extra().has("context_management")).isTrue();
        assertThat(req.extra().path("thinking").path("display").isTextual()).isTrue();

        Message system = req.messages().getFirst();
        assertThat(system.role()).isEqualTo(Role.SYSTEM);
        assertThat(system.parts()).hasSize(body.get("system").size()).allMatch(p -> p instanceof Part.Text);
        assertThat(((Part.Text) system.parts().get(1)).extra().path("cache_control").path("type").asText()).isEqualTo("ephemeral");

        assertThat(req.messages()).hasSize(body.get("messages").size() + 1);
        for (int i = 0; i < body.get("messages").size(); i++) {
            JsonNode wire = body.get("messages").get(i);
            Message m = req.messages().get(i + 1);
            assertThat(m.role().wire()).isEqualTo(wire.get("role").asText());
            assertThat(m.parts()).hasSize(wire.get("content").size());
        }

        assertThat(req.tools()).hasSize(body.get("tools").size()).allMatch(Tool::isFunction);
        Tool deferred = req.tools().stream().filter(t -> t.name().equals("DeferredToolPlaceholder")).findFirst().orElseThrow();
        assertThat(deferred.extra().path("defer_loading").asBoolean()).isTrue();
        JsonNode deferredWire = body.get("tools").valueStream()
                .filter(t -> t.get("name").asText().equals("DeferredToolPlaceholder")).findFirst().orElseThrow();
        assertThat(deferred.parameters()).isEqualTo(deferredWire.get("input_schema"));
    }

    @Test
    void decodeRequest_claudeCodeAfterTool_keepsThinkingSignatureToolUseAndResult() throws IOException {
        Path file = FIXTURES.resolve("claude-code-messages-stream-after-tool.json");
        assumeThat(Files.exists(file)).isTrue();
        ObjectNode body = fixtureBody(file);
        JsonNode assistantWire = body.get("messages").get(1).get("content");

        LlmRequest req = MessagesCodec.decodeRequest(body);

        Message assistant = req.messages().get(2);
        assertThat(assistant.role()).isEqualTo(Role.ASSISTANT);
        var thinking = (Part.Reasoning) assistant.parts().get(0);
        assertThat(thinking.text()).isEqualTo(assistantWire.get(0).get("thinking").asText());
        assertThat(thinking.signature()).isEqualTo(assistantWire.get(0).get("signature").asText()).startsWith("sig_");
        var call = (Part.ToolCall) assistant.parts().get(1);
        assertThat(call.id()).isEqualTo(assistantWire.get(1).get("id").asText());
        assertThat(call.name()).isEqualTo("Read");
        assertThat(Json.parse(call.arguments())).isEqualTo(assistantWire.get(1).get("input"));

        var result = (Part.ToolResult) req.messages().get(3).parts().getFirst();
        assertThat(result.callId()).isEqualTo(call.id());
        assertThat(result.text()).startsWith("1\tKOALA_");
        assertThat(result.isError()).isFalse();
        assertThat(result.extra().has("cache_control")).isTrue();
    }

    // The captured requests live in ../shared (read in place, never copied here); without them there is nothing to run.
    @ParameterizedTest(allowZeroInvocations = true)
    @MethodSource("claudeCodeFixtures")
    void encodeRequest_decodedClaudeCodeFixture_givesTheBodyBack(Path file) throws IOException {
        ObjectNode body = fixtureBody(file);

        ObjectNode encoded = MessagesCodec.encodeRequest(MessagesCodec.decodeRequest(body), body.get("model").asText());

        assertThat(encoded).isEqualTo(body);
    }

    @Test
    void decodeRequest_blocksOfEveryKind_mapsEach() {
        ObjectNode body = body("""
                {"model":"m","max_tokens":10,"system":"Be brief.",
                 "messages":[
                  {"role":"system","content":"Injected system."},
                  {"role":"user","content":[
                    {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"AAAA"}},
                    {"type":"image","source":{"type":"url","url":"https://example.com/a.png"}},
                    {"type":"document","title":"spec","source":{"type":"base64","media_type":"application/pdf","data":"JVBE"},"citations":{"enabled":true}},
                    {"type":"search_result","source":"s","title":"t","content":[]}]},
                  {"role":"assistant","content":[{"type":"redacted_thinking","data":"opaque"},{"type":"text","text":"ok"}]},
                  {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","is_error":true,
                    "content":[{"type":"text","text":"boom"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"BBBB"}}]}]}],
                 "tools":[{"type":"web_search_20250305","name":"web_search","max_uses":3}],
                 "tool_choice":{"type":"tool","name":"web_search","disable_parallel_tool_use":true},
                 "temperature":0.5,"top_p":0.9,"top_k":5,"stop_sequences":["END"],
                 "output_config":{"effort":"high"},"service_tier":"auto"}""");

        LlmRequest req = MessagesCodec.decodeRequest(body);

        assertThat(req.messages()).extracting(Message::role)
                .containsExactly(Role.SYSTEM, Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.USER);
        List<Part> user = req.messages().get(2).parts();
        assertThat(user.get(0)).isEqualTo(new Part.Image(null, "image/jpeg", "AAAA", null, null));
        assertThat(user.get(1)).isEqualTo(new Part.Image("https://example.com/a.png", null, null, null, null));
        var doc = (Part.File) user.get(2);
        assertThat(doc.filename()).isEqualTo("spec");
        assertThat(doc.base64()).isEqualTo("JVBE");
        assertThat(doc.extra().path("source").path("type").asText()).isEqualTo("base64");
        assertThat(doc.extra().has("citations")).isTrue();
        assertThat(user.get(3)).isEqualTo(new Part.Opaque(WireFormat.ANTHROPIC_MESSAGES, "search_result",
                body.get("messages").get(1).get("content").get(3)));
        var redacted = (Part.Reasoning) req.messages().get(3).parts().getFirst();
        assertThat(redacted.redacted()).isTrue();
        assertThat(redacted.encrypted()).isEqualTo("opaque");
        var result = (Part.ToolResult) req.messages().get(4).parts().getFirst();
        assertThat(result.isError()).isTrue();
        assertThat(result.content()).hasSize(2).element(1).isInstanceOf(Part.Image.class);
        Tool search = req.tools().getFirst();
        assertThat(search.type()).isEqualTo("web_search_20250305");
        assertThat(search.extra()).isEqualTo(body.get("tools").get(0));
        assertThat(req.toolChoice()).isEqualTo(new ToolChoice.Named("web_search"));
        assertThat(req.parallelToolCalls()).isFalse();
        assertThat(req.temperature()).isEqualTo(0.5);
        assertThat(req.topP()).isEqualTo(0.9);
        assertThat(req.stop()).containsExactly("END");
        assertThat(req.reasoningEffort()).isEqualTo("high");
        assertThat(req.extra().fieldNames()).toIterable().containsExactlyInAnyOrder("top_k", "output_config", "service_tier");
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                bad(b -> b.remove("model"), "model"),
                bad(b -> b.put("model", 5), "model"),
                bad(b -> b.remove("max_tokens"), "max_tokens"),
                bad(b -> b.put("max_tokens", "10"), "max_tokens"),
                bad(b -> b.put("max_tokens", 0), "max_tokens"),
                bad(b -> b.put("max_tokens", 1.5), "max_tokens"),
                bad(b -> b.remove("messages"), "messages"),
                bad(b -> b.putObject("messages"), "messages"),
                bad(b -> b.putArray("messages"), "messages"),
                bad(b -> message(b, 0).put("role", "tool"), "messages.0.role"),
                bad(b -> message(b, 0).put("content", 5), "messages.0.content"),
                bad(b -> content(b, 0, 2).remove("type"), "messages.0.content.2.type"),
                bad(b -> content(b, 0, 1).put("text", 7), "messages.0.content.1.text"),
                bad(b -> content(b, 1, 0).put("input", "{}"), "messages.1.content.0.input"),
                bad(b -> content(b, 1, 0).remove("id"), "messages.1.content.0.id"),
                bad(b -> content(b, 2, 0).put("is_error", "yes"), "messages.2.content.0.is_error"),
                bad(b -> b.put("system", 5), "system"),
                bad(b -> b.putArray("system").addObject().put("type", "image"), "system.0.type"),
                bad(b -> b.putArray("tools").addObject().put("name", "x"), "tools.0.input_schema"),
                bad(b -> b.putObject("tool_choice").put("type", "sometimes"), "tool_choice.type"),
                bad(b -> b.putObject("tool_choice").put("type", "tool"), "tool_choice.name"),
                bad(b -> b.putArray("stop_sequences").add(1), "stop_sequences.0"),
                bad(b -> b.put("temperature", "hot"), "temperature"),
                bad(b -> b.put("stream", "true"), "stream"),
                bad(b -> b.putObject("thinking").put("type", "enabled"), "thinking.budget_tokens"),
                bad(b -> b.putObject("metadata").put("user_id", 42), "metadata.user_id"));
    }

    private static Arguments bad(Consumer<ObjectNode> breakIt, String param) {
        return Arguments.of(breakIt, param);
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badRequests")
    void decodeRequest_invalidField_badRequestNamingItsPath(Consumer<ObjectNode> breakIt, String param) {
        assertThatCode(() -> MessagesCodec.decodeRequest(validBody())).doesNotThrowAnyException();
        ObjectNode body = validBody();
        breakIt.accept(body);

        assertThatThrownBy(() -> MessagesCodec.decodeRequest(body))
                .isInstanceOfSatisfying(ArbiterException.BadRequest.class, e -> {
                    assertThat(e.param()).isEqualTo(param);
                    assertThat(e.getMessage()).startsWith(param + ": ");
                });
    }

    @Test
    void encodeRequest_chatRequestWithToolsResultsImagesAndSystem_translatesAndMergesTurns() {
        LlmRequest req = LlmRequest.builder(Operation.CHAT, WireFormat.OPENAI_CHAT)
                .model("gpt-4o")
                .messages(List.of(
                        Message.text(Role.SYSTEM, "Be brief."),
                        Message.text(Role.DEVELOPER, "Use tools."),
                        new Message(Role.USER, List.of(Part.Text.of("Weather in these?"),
                                new Part.Image("data:image/png;base64,iVBOR", null, null, "high", null),
                                new Part.Image("https://example.com/a.png", null, null, null, null)), null, null),
                        new Message(Role.ASSISTANT, List.of(Part.Text.of(""),
                                new Part.ToolCall("call_1", "get_weather", "{\"city\":\"Paris\"}", null),
                                new Part.ToolCall("call_2", "get_weather", "{\"city\":\"Rome\"}", null),
                                new Part.Reasoning("unsigned thoughts", null, null, false, null, null, null),
                                new Part.Opaque(WireFormat.OPENAI_RESPONSES, "web_search_call", Json.object())), null, null),
                        new Message(Role.TOOL, List.of(new Part.ToolResult("call_1", List.of(Part.Text.of("sunny")), false, false, null)), null, null),
                        new Message(Role.TOOL, List.of(new Part.ToolResult("call_2", List.of(Part.Text.of("rain")), true, false, null)), null, null),
                        Message.text(Role.USER, "Thanks")))
                .tools(List.of(new Tool("function", "get_weather", "Weather by city",
                        Json.parse("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"), true, null),
                        new Tool("web_search", null, null, null, null, null)))
                .toolChoice(new ToolChoice.Required())
                .parallelToolCalls(false)
                .temperature(1.5)
                .stop(List.of("END"))
                .user("user-1")
                .reasoningEffort("high")
                .responseFormat(Json.parse("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"w\",\"schema\":{\"type\":\"object\"}}}"))
                .extra(Json.object().put("n", 1).put("logprobs", true))
                .build();

        ObjectNode encoded = MessagesCodec.encodeRequest(req, "claude-sonnet-4-5");

        assertThat(wire(encoded)).isEqualTo(Json.parse("""
                {"model":"claude-sonnet-4-5",
                 "system":"Be brief.\\n\\nUse tools.\\n\\nRespond with only a JSON value that conforms to this JSON Schema, and no other text:\\n{\\"type\\":\\"object\\"}",
                 "messages":[
                  {"role":"user","content":[{"type":"text","text":"Weather in these?"},
                    {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}},
                    {"type":"image","source":{"type":"url","url":"https://example.com/a.png"}}]},
                  {"role":"assistant","content":[
                    {"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}},
                    {"type":"tool_use","id":"call_2","name":"get_weather","input":{"city":"Rome"}}]},
                  {"role":"user","content":[
                    {"type":"tool_result","tool_use_id":"call_1","content":"sunny"},
                    {"type":"tool_result","tool_use_id":"call_2","content":"rain","is_error":true},
                    {"type":"text","text":"Thanks"}]}],
                 "max_tokens":4096,"temperature":1.0,"stop_sequences":["END"],
                 "tools":[{"name":"get_weather","description":"Weather by city",
                   "input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
                 "tool_choice":{"type":"any","disable_parallel_tool_use":true},
                 "metadata":{"user_id":"user-1"}}"""));

        LlmRequest back = MessagesCodec.decodeRequest(encoded);
        assertThat(back.messages()).extracting(Message::role)
                .containsExactly(Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.USER);
        assertThat(back.messages().get(2).parts(Part.ToolCall.class)).extracting(Part.ToolCall::id, Part.ToolCall::arguments)
                .containsExactly(tuple("call_1", "{\"city\":\"Paris\"}"),
                        tuple("call_2", "{\"city\":\"Rome\"}"));
        assertThat(back.messages().get(3).parts(Part.ToolResult.class)).extracting(Part.ToolResult::callId, Part.ToolResult::isError)
                .containsExactly(tuple("call_1", false), tuple("call_2", true));
        assertThat(back.messages().get(1).parts(Part.Image.class)).extracting(Part.Image::asUrl)
                .containsExactly("data:image/png;base64,iVBOR", "https://example.com/a.png");
        assertThat(back.toolChoice()).isEqualTo(new ToolChoice.Required());
        assertThat(back.parallelToolCalls()).isFalse();
    }

    @Test
    void encodeRequest_reasoningEffortAboveMaxTokens_enablesThinkingAndKeepsAnswerBudget() {
        LlmRequest req = LlmRequest.builder(Operation.CHAT, WireFormat.OPENAI_CHAT)
                .messages(List.of(Message.text(Role.USER, "Hi"),
                        new Message(Role.ASSISTANT, List.of(new Part.Reasoning("prior", "sig", null, false, null, null, null),
                                Part.Text.of("Hello")), null, null),
                        Message.text(Role.USER, "Again")))
                .maxTokens(1000).reasoningEffort("high").temperature(0.2).topP(0.5).build();

        ObjectNode encoded = MessagesCodec.encodeRequest(req, "claude");

        assertThat(encoded.get("thinking")).isEqualTo(Json.parse("{\"type\":\"enabled\",\"budget_tokens\":16384}"));
        assertThat(encoded.get("max_tokens").asInt()).isEqualTo(17384);
        assertThat(encoded.has("temperature")).isFalse();
        assertThat(encoded.has("top_p")).isFalse();
        assertThat(encoded.get("messages").get(1).get("content").get(0))
                .isEqualTo(Json.parse("{\"type\":\"thinking\",\"thinking\":\"prior\",\"signature\":\"sig\"}"));
    }

    @Test
    void encodeRequest_toolArgumentsNotJson_badRequestNamingTheMessage() {
        LlmRequest req = LlmRequest.builder(Operation.CHAT, WireFormat.OPENAI_CHAT)
                .messages(List.of(Message.text(Role.USER, "Hi"),
                        new Message(Role.ASSISTANT, List.of(new Part.ToolCall("call_9", "f", "{\"a\":", null)), null, null)))
                .build();

        assertThatThrownBy(() -> MessagesCodec.encodeRequest(req, "claude"))
                .isInstanceOfSatisfying(ArbiterException.BadRequest.class, e -> {
                    assertThat(e.param()).isEqualTo("messages.1");
                    assertThat(e.getMessage()).contains("call_9");
                });
    }

    private static final String RESPONSE = """
            {"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",
             "content":[
              {"type":"thinking","thinking":"The user wants the file read.","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxB"},
              {"type":"text","text":"I'll read it."},
              {"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"Read","input":{"file_path":"/tmp/x.txt","limit":20}}],
             "stop_reason":"tool_use","stop_sequence":null,"stop_details":null,"container":null,
             "usage":{"input_tokens":12,"cache_creation_input_tokens":300,"cache_read_input_tokens":2000,
                      "cache_creation":{"ephemeral_5m_input_tokens":300,"ephemeral_1h_input_tokens":0},
                      "output_tokens":89,"server_tool_use":null,"service_tier":"standard","inference_geo":null}}""";

    @Test
    void decodeResponse_capturedShape_mapsPartsStopAndUsageIncludingCache() {
        ObjectNode body = body(RESPONSE);

        LlmResponse r = MessagesCodec.decodeResponse(body);

        assertThat(r.raw()).isSameAs(body);
        assertThat(r.format()).isEqualTo(WireFormat.ANTHROPIC_MESSAGES);
        assertThat(r.id()).isEqualTo("msg_01XFDUDYJgAACzvnptvVoYEL");
        assertThat(r.choices()).hasSize(1);
        assertThat(r.choices().getFirst().finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
        assertThat(r.firstMessage().parts()).hasSize(3);
        assertThat(((Part.Reasoning) r.firstMessage().parts().get(0)).signature()).isEqualTo("EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxB");
        assertThat(r.firstMessage().text()).isEqualTo("I'll read it.");
        assertThat(((Part.ToolCall) r.firstMessage().parts().get(2)).arguments()).isEqualTo("{\"file_path\":\"/tmp/x.txt\",\"limit\":20}");
        assertThat(r.usage()).isEqualTo(new Usage(2312, 89, 2000, 300, 0, false));
    }

    @Test
    void encodeResponse_fromAnthropic_returnsTheBodyAsItCame() {
        ObjectNode body = body(RESPONSE);

        ObjectNode encoded = MessagesCodec.encodeResponse(MessagesCodec.decodeResponse(body), "claude-sonnet-4-5");

        assertThat(encoded).isEqualTo(body).isNotSameAs(body);
    }

    @Test
    void encodeResponse_fromAnotherFormat_rebuildsTheSameMessage() throws Exception {
        ObjectNode body = body(RESPONSE);
        LlmResponse decoded = MessagesCodec.decodeResponse(body);
        var translated = new LlmResponse(decoded.id(), "gpt", 0, decoded.choices(), decoded.usage(), WireFormat.OPENAI_CHAT, null);

        ObjectNode encoded = MessagesCodec.encodeResponse(translated, "claude-sonnet-4-5-20250929");

        ObjectNode expected = body.deepCopy();
        // what only Anthropic knows is null in a translated answer, still present as the schema requires
        ((ObjectNode) expected.get("usage")).putNull("cache_creation").putNull("service_tier");
        assertThat(wire(encoded)).isEqualTo(expected);
        ObjectMappers.jsonMapper().readValue(Json.string(encoded), com.anthropic.models.messages.Message.class).validate();
    }

    @Test
    void encodeResponse_chatAnswer_mapsIdCustomCallsAndUnsignedReasoning() {
        var message = new Message(Role.ASSISTANT, List.of(
                new Part.Reasoning("thinking aloud", null, null, false, null, null, null),
                new Part.Reasoning(null, null, "secret", true, null, null, null),
                new Part.CustomToolCall("call_7", "apply_patch", "*** Begin Patch", null)), null, null);
        var r = new LlmResponse("chatcmpl-abc.1", "gpt", 0,
                List.of(new dev.arbiter.llm.Choice(0, message, FinishReason.LENGTH, null, null)),
                new Usage(100, 5, 40, 0, 0, false), WireFormat.OPENAI_CHAT, null);

        ObjectNode encoded = MessagesCodec.encodeResponse(r, "alias");

        assertThat(encoded.get("id").asText()).isEqualTo("msg_chatcmplabc1");
        assertThat(encoded.get("model").asText()).isEqualTo("alias");
        assertThat(encoded.get("content")).isEqualTo(Json.parse("""
                [{"type":"thinking","thinking":"thinking aloud","signature":""},
                 {"type":"redacted_thinking","data":"secret"},
                 {"type":"tool_use","id":"call_7","name":"apply_patch","input":{"input":"*** Begin Patch"}}]"""));
        assertThat(encoded.get("stop_reason").asText()).isEqualTo("max_tokens");
        assertThat(wire(encoded.get("usage"))).isEqualTo(Json.parse("""
                {"input_tokens":60,"cache_creation_input_tokens":0,"cache_read_input_tokens":40,"output_tokens":5,
                 "cache_creation":null,"server_tool_use":null,"service_tier":null,"inference_geo":null}"""));
        assertThat(encoded.get("stop_details").isNull()).isTrue();
        assertThat(encoded.get("container").isNull()).isTrue();
    }

    @Test
    void encodeResponse_refusal_stopDetailsOfTypeRefusalTheSdkReads() throws Exception {
        var message = new Message(Role.ASSISTANT, List.of(Part.Text.of("I can't help with that.")), null, null);
        var r = new LlmResponse("chatcmpl-r", "gpt", 0,
                List.of(new dev.arbiter.llm.Choice(0, message, FinishReason.REFUSAL, null, null)),
                Usage.of(10, 5), WireFormat.OPENAI_CHAT, null);

        ObjectNode encoded = MessagesCodec.encodeResponse(r, "alias");

        assertThat(encoded.get("stop_reason").asText()).isEqualTo("refusal");
        assertThat(encoded.get("stop_details")).isEqualTo(Json.parse("{\"type\":\"refusal\",\"category\":null,\"explanation\":null}"));
        var sdk = ObjectMappers.jsonMapper().readValue(Json.string(encoded), com.anthropic.models.messages.Message.class);
        sdk.validate();
        assertThat(sdk.stopDetails()).isPresent();
    }

    @Test
    void decodeResponse_withoutContent_upstreamBadResponse() {
        assertThatThrownBy(() -> MessagesCodec.decodeResponse(body("{\"id\":\"msg_1\",\"type\":\"message\"}")))
                .isInstanceOfSatisfying(ArbiterException.Upstream.class, e -> {
                    assertThat(e.status()).isEqualTo(502);
                    assertThat(e.code()).isEqualTo("upstream_bad_response");
                });
        assertThatThrownBy(() -> MessagesCodec.decodeResponse(body("{\"id\":\"msg_1\",\"content\":[{\"text\":\"x\"}]}")))
                .isInstanceOf(ArbiterException.Upstream.class)
                .hasMessageContaining("content.0.type");
    }

    private static ObjectNode validBody() {
        return body("""
                {"model":"claude","max_tokens":100,
                 "messages":[
                  {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"},{"type":"text","text":"c"}]},
                  {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{}}]},
                  {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}]}""");
    }

    private static ObjectNode message(ObjectNode body, int i) {
        return (ObjectNode) body.get("messages").get(i);
    }

    private static ObjectNode content(ObjectNode body, int message, int block) {
        return (ObjectNode) body.get("messages").get(message).get("content").get(block);
    }

    /** The node as a client reads it off the wire (numbers typed as parsed, not as built). */
    static JsonNode wire(JsonNode n) {
        return Json.parse(Json.string(n));
    }

    private static ObjectNode body(String json) {
        return (ObjectNode) Json.parse(json);
    }
}
