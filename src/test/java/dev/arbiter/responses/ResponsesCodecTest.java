package dev.arbiter.responses;

import dev.arbiter.chat.ChatCodec;
import dev.arbiter.chat.ChatResponses;
import dev.arbiter.messages.MessagesCodec;
import dev.arbiter.wire.Json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.core.ObjectMappers;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseOutputItem;
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
import dev.arbiter.reasoning.ReasoningEnvelope;
import dev.arbiter.reasoning.ReasoningSeal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ResponsesCodecTest {
    private static final ReasoningEnvelope ENVELOPE = new ReasoningEnvelope("a-test-key-of-32-bytes-length!!!".getBytes());
    static final Path FIXTURES = Path.of(System.getProperty("user.dir")).resolve("../shared/data/agent-requests");
    private static final long CREATED = 1_767_225_600L;

    static Stream<Path> responsesFixtures() throws IOException {
        if (!Files.isDirectory(FIXTURES)) return Stream.of();
        try (var files = Files.list(FIXTURES)) {
            return files.filter(p -> p.getFileName().toString().matches("(codex|agents-sdk)-responses-.*\\.json"))
                    .sorted().toList().stream();
        }
    }

    static ObjectNode fixtureBody(String name) throws IOException {
        Path file = FIXTURES.resolve(name);
        assumeThat(Files.isRegularFile(file)).as("fixture %s", file).isTrue();
        return (ObjectNode) Json.MAPPER.readTree(file.toFile()).get("body");
    }

    @Test
    void responsesFixtures_present() throws IOException {
        assumeThat(Files.isDirectory(FIXTURES)).as("fixtures at %s", FIXTURES).isTrue();
        assertThat(responsesFixtures()).hasSize(7);
    }

    // The captured requests live in ../shared (read in place, never copied here); without them there is nothing to run.
    @ParameterizedTest(allowZeroInvocations = true)
    @MethodSource("responsesFixtures")
    void decodeRequest_agentFixture_keepsItemsToolsAndExtras(Path file) throws IOException {
        ObjectNode body = (ObjectNode) Json.MAPPER.readTree(file.toFile()).get("body");
        String before = Json.string(body);

        LlmRequest req = ResponsesCodec.decodeRequest(body);

        assertThat(Json.string(body)).isEqualTo(before);
        assertThat(req.raw()).isSameAs(body);
        assertThat(req.operation()).isEqualTo(Operation.CHAT);
        assertThat(req.format()).isEqualTo(WireFormat.OPENAI_RESPONSES);
        assertThat(req.model()).isEqualTo(body.get("model").asText());
        assertThat(req.stream()).isEqualTo(body.get("stream").asBoolean());
        assertThat(req.extra().get("include")).isEqualTo(body.get("include"));
        assertThat(req.tools()).hasSize(body.get("tools").size());
        int items = body.get("input").size();
        int instructions = body.has("instructions") ? 1 : 0;
        int mergedIntoTheirCall = body.get("input").findValuesAsText("type").contains("reasoning") ? 1 : 0;
        assertThat(req.messages()).hasSize(items + instructions - mergedIntoTheirCall);
        long toolTurns = req.messages().stream().filter(m -> m.role() == Role.TOOL).count();
        long assistantTurns = req.messages().stream().filter(m -> m.role() == Role.ASSISTANT).count();
        assertThat(toolTurns).isEqualTo(assistantTurns);
        assertThat(ChatCodec.encodeRequest(req, "gpt-4o").get("messages")).isNotEmpty();
        ObjectMappers.jsonMapper().readValue(Json.string(ResponsesCodec.encodeRequest(req, "gpt-5")),
                ResponseCreateParams.Body.class).validate();
        LlmResponse answer = ChatResponses.decode(obj("""
                {"id":"c","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"WOMBAT"},
                 "finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"""));
        Response echoed = validResponse(ResponsesCodec.encodeResponse(answer, req, "resp_fx", CREATED, ENVELOPE));
        assertThat(echoed.tools()).hasSize(body.get("tools").size());
    }

    @Test
    void decodeRequest_codexAfterTool_reasoningDirectlyBeforeItsCallInOneAssistantTurn() throws IOException {
        ObjectNode body = fixtureBody("codex-responses-stream-after-tool.json");
        JsonNode reasoningItem = body.get("input").get(4);
        JsonNode callItem = body.get("input").get(5);

        LlmRequest req = ResponsesCodec.decodeRequest(body);

        assertThat(req.messages()).extracting(Message::role).containsExactly(
                Role.DEVELOPER, Role.DEVELOPER, Role.USER, Role.USER, Role.ASSISTANT, Role.TOOL);
        Message assistant = req.messages().get(4);
        assertThat(assistant.parts()).hasSize(2);
        Part.Reasoning reasoning = (Part.Reasoning) assistant.parts().get(0);
        assertThat(reasoning.id()).isEqualTo(reasoningItem.get("id").asText());
        assertThat(reasoning.encrypted()).isEqualTo(reasoningItem.get("encrypted_content").asText());
        assertThat(reasoning.summary()).containsExactly(reasoningItem.at("/summary/0/text").asText());
        assertThat(reasoning.text()).isNull();
        Part.ToolCall call = (Part.ToolCall) assistant.parts().get(1);
        assertThat(call.id()).isEqualTo(callItem.get("call_id").asText());
        assertThat(call.name()).isEqualTo("exec_command");
        assertThat(call.arguments()).isEqualTo(callItem.get("arguments").asText());
        assertThat(call.extra().get("id").asText()).isEqualTo(callItem.get("id").asText());
        assertThat(call.extra().get("status").asText()).isEqualTo("completed");
        Part.ToolResult result = (Part.ToolResult) req.messages().get(5).parts().getFirst();
        assertThat(result.callId()).isEqualTo(call.id());
        assertThat(result.custom()).isFalse();
        assertThat(result.text()).startsWith("Chunk ID: e53140\n");
        assertThat(req.messages().get(3).text()).startsWith("Read the file");
        assertThat(req.messages().get(1).parts()).hasSize(3);
        assertThat(req.messages().get(0).extra().get("id").asText()).startsWith("msg_");

        assertThat(req.reasoningEffort()).isEqualTo("medium");
        assertThat(req.toolChoice()).isEqualTo(new ToolChoice.Auto());
        assertThat(req.parallelToolCalls()).isTrue();
        assertThat(req.extra().properties()).extracting(java.util.Map.Entry::getKey).containsExactlyInAnyOrder(
                "reasoning", "store", "include", "prompt_cache_key", "text", "client_metadata");
        assertThat(req.extra().get("text")).isEqualTo(body.get("text"));
    }

    @Test
    void decodeRequest_codexTools_applyPatchStaysCustomAndHostedToolsKeepTheirItem() throws IOException {
        ObjectNode body = fixtureBody("codex-responses-stream-tool-call.json");

        LlmRequest req = ResponsesCodec.decodeRequest(body);

        Tool patch = req.tools().stream().filter(t -> "apply_patch".equals(t.name())).findFirst().orElseThrow();
        assertThat(patch.isCustom()).isTrue();
        assertThat(patch.description()).contains("FREEFORM");
        assertThat(patch.extra().at("/format/type").asText()).isEqualTo("grammar");
        assertThat(patch.extra().at("/format/syntax").asText()).isEqualTo("lark");
        Tool exec = req.tools().getFirst();
        assertThat(exec.isFunction()).isTrue();
        assertThat(exec.strict()).isFalse();
        assertThat(exec.parameters()).isEqualTo(body.at("/tools/0/parameters"));
        assertThat(req.tools()).filteredOn(t -> !t.isFunction() && !t.isCustom())
                .extracting(Tool::type).containsExactly("tool_search", "web_search");
        assertThat(req.tools().get(9).extra()).isEqualTo(body.at("/tools/9"));

        ObjectNode chat = ChatCodec.encodeRequest(req, "gpt-4o");
        JsonNode chatPatch = chat.get("tools").get(3);
        assertThat(chatPatch.at("/function/name").asText()).isEqualTo("apply_patch");
        assertThat(chatPatch.at("/function/parameters/required/0").asText()).isEqualTo("input");
    }

    @Test
    void decodeRequest_agentsSdkAfterTool_instructionsLeadAndItemsWithoutTypeAreMessages() throws IOException {
        ObjectNode body = fixtureBody("agents-sdk-responses-nonstream-after-tool.json");

        LlmRequest req = ResponsesCodec.decodeRequest(body);

        assertThat(req.messages()).extracting(Message::role).containsExactly(Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.TOOL);
        Message system = req.messages().getFirst();
        assertThat(system.text()).isEqualTo(body.get("instructions").asText());
        assertThat(system.extra().get(ResponsesCodec.INSTRUCTIONS).asBoolean()).isTrue();
        assertThat(req.messages().get(2).parts()).hasExactlyElementsOfTypes(Part.Reasoning.class, Part.ToolCall.class);
        assertThat(((Part.Reasoning) req.messages().get(2).parts().getFirst()).encrypted()).isNull();
        assertThat(req.tools().getFirst().strict()).isTrue();
        assertThat(req.extra().get("include")).isEmpty();

        ObjectNode chat = ChatCodec.encodeRequest(req, "gpt-4o");
        assertThat(chat.get("messages")).extracting(m -> m.get("role").asText())
                .containsExactly("system", "user", "assistant", "tool");
        assertThat(chat.at("/messages/2/tool_calls/0/id").asText()).isEqualTo(chat.at("/messages/3/tool_call_id").asText());
    }

    @Test
    void decodeRequest_namespaceToolsAndOutputsOfEveryKind_flattenedAndTyped() {
        LlmRequest req = ResponsesCodec.decodeRequest(obj("""
                {"model":"gpt-5","input":[
                  {"type":"message","role":"user","content":[
                     {"type":"input_text","text":"Look"},
                     {"type":"input_image","image_url":"https://x/y.png","detail":"high"},
                     {"type":"input_image","file_id":"file-img"},
                     {"type":"input_file","filename":"a.pdf","file_data":"data:application/pdf;base64,JVBERi0="}]},
                  {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Sure.","annotations":[]},
                     {"type":"refusal","refusal":"Not that."}]},
                  {"type":"function_call","call_id":"c1","name":"lookup","namespace":"crm","arguments":"{}"},
                  {"type":"custom_tool_call","call_id":"c2","name":"apply_patch","input":"*** Begin Patch"},
                  {"type":"web_search_call","id":"ws_1","status":"completed"},
                  {"type":"function_call_output","call_id":"c1","output":[{"type":"input_text","text":"found"}]},
                  {"type":"custom_tool_call_output","call_id":"c2","output":"Done"},
                  {"type":"item_reference","id":"msg_9"}],
                 "tools":[{"type":"namespace","name":"crm","description":"CRM","tools":[
                     {"type":"function","name":"lookup","parameters":{"type":"object","properties":{}}},
                     {"type":"custom","name":"note"}]}],
                 "tool_choice":{"type":"allowed_tools","mode":"required","tools":[{"type":"function","name":"lookup"}]},
                 "text":{"format":{"type":"json_schema","name":"out","schema":{"type":"object"},"strict":true},"verbosity":"low"},
                 "max_output_tokens":500,"temperature":0.5,"top_p":0.9,"user":"u1","previous_response_id":"resp_0"}"""));

        assertThat(req.messages()).extracting(Message::role)
                .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
        List<Part> user = req.messages().getFirst().parts();
        assertThat(user).hasExactlyElementsOfTypes(Part.Text.class, Part.Image.class, Part.Opaque.class, Part.File.class);
        assertThat(((Part.Image) user.get(1)).detail()).isEqualTo("high");
        Part.File file = (Part.File) user.get(3);
        assertThat(file.mediaType()).isEqualTo("application/pdf");
        assertThat(file.base64()).isEqualTo("JVBERi0=");
        List<Part> assistant = req.messages().get(1).parts();
        assertThat(assistant).hasExactlyElementsOfTypes(Part.Text.class, Part.Text.class, Part.ToolCall.class,
                Part.CustomToolCall.class, Part.Opaque.class);
        assertThat(((Part.Text) assistant.get(1)).extra().get("refusal").asBoolean()).isTrue();
        assertThat(((Part.ToolCall) assistant.get(2)).name()).isEqualTo("crm__lookup");
        List<Part> tool = req.messages().get(2).parts();
        assertThat(tool).extracting(p -> ((Part.ToolResult) p).custom()).containsExactly(false, true);
        assertThat(((Part.Opaque) req.messages().get(3).parts().getFirst()).type()).isEqualTo("item_reference");

        assertThat(req.tools()).extracting(Tool::type, Tool::name)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("function", "crm__lookup"),
                        org.assertj.core.groups.Tuple.tuple("custom", "crm__note"));
        assertThat(req.tools().getFirst().extra().get(ResponsesTools.NAMESPACE).asText()).isEqualTo("crm");
        assertThat(req.toolChoice()).isEqualTo(new ToolChoice.Required());
        assertThat(req.responseFormat()).isEqualTo(Json.parse("""
                {"type":"json_schema","json_schema":{"name":"out","schema":{"type":"object"},"strict":true}}"""));
        assertThat(req.maxTokens()).isEqualTo(500);
        assertThat(req.temperature()).isEqualTo(0.5);
        assertThat(req.topP()).isEqualTo(0.9);
        assertThat(req.user()).isEqualTo("u1");
        assertThat(req.extra().get("previous_response_id").asText()).isEqualTo("resp_0");
        assertThat(req.extra().at("/text/verbosity").asText()).isEqualTo("low");
    }

    @Test
    void decodeRequest_reasoningThenParallelCalls_oneAssistantTurnThenOneToolTurn() {
        LlmRequest req = ResponsesCodec.decodeRequest(obj("""
                {"model":"m","input":[{"role":"user","content":"two files"},
                  {"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":"enc1"},
                  {"type":"function_call","call_id":"c1","name":"read","arguments":"{\\"p\\":1}"},
                  {"type":"function_call","call_id":"c2","name":"read","arguments":"{\\"p\\":2}"},
                  {"type":"function_call_output","call_id":"c1","output":"one"},
                  {"type":"function_call_output","call_id":"c2","output":"two"},
                  {"type":"reasoning","id":"rs_2","summary":[],"encrypted_content":"enc2"},
                  {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Done."}]}]}"""));

        assertThat(req.messages()).extracting(Message::role)
                .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
        assertThat(req.messages().get(1).parts()).hasExactlyElementsOfTypes(Part.Reasoning.class, Part.ToolCall.class,
                Part.ToolCall.class);
        assertThat(req.messages().get(2).parts()).hasSize(2);
        assertThat(((Part.Reasoning) req.messages().get(3).parts().getFirst()).encrypted()).isEqualTo("enc2");
        JsonNode chat = ChatCodec.encodeRequest(req, "gpt-4o").get("messages");
        assertThat(chat).extracting(m -> m.get("role").asText()).containsExactly("user", "assistant", "tool", "tool", "assistant");
        assertThat(chat.get(1).get("tool_calls")).hasSize(2);
        assertThat(ResponsesCodec.encodeRequest(req.toBuilder().raw(null).build(), "gpt-5").get("input"))
                .extracting(i -> i.get("type").asText()).containsExactly("message", "reasoning", "function_call",
                        "function_call", "function_call_output", "function_call_output", "reasoning", "message");
    }

    @Test
    void decodeRequest_stringInput_oneUserMessage() {
        LlmRequest req = ResponsesCodec.decodeRequest(obj("{\"model\":\"gpt-5\",\"input\":\"Hi\",\"tool_choice\":{\"type\":\"custom\",\"name\":\"apply_patch\"}}"));

        assertThat(req.messages()).containsExactly(Message.text(Role.USER, "Hi"));
        assertThat(req.toolChoice()).isEqualTo(new ToolChoice.Named("apply_patch"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"input\":\"x\"}                                                              | model                 | missing_required_parameter",
            "{\"model\":\"m\"}                                                              | input                 | missing_required_parameter",
            "{\"model\":\"m\",\"input\":5}                                                  | input                 | invalid_type",
            "{\"model\":\"m\",\"input\":[\"hi\"]}                                           | input[0]              | invalid_type",
            "{\"model\":\"m\",\"input\":[{\"content\":\"hi\"}]}                             | input[0].type         | missing_required_parameter",
            "{\"model\":\"m\",\"input\":[{\"role\":\"tool\",\"content\":\"hi\"}]}           | input[0].role         | invalid_value",
            "{\"model\":\"m\",\"input\":[{\"type\":\"message\",\"content\":\"hi\"}]}        | input[0].role         | missing_required_parameter",
            "{\"model\":\"m\",\"input\":[{\"role\":\"user\"}]}                              | input[0].content      | missing_required_parameter",
            "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]}]} | input[0].content[0].type | missing_required_parameter",
            "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":1}]}]} | input[0].content[0].text | invalid_type",
            "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_image\"}]}]} | input[0].content[0].image_url | missing_required_parameter",
            "{\"model\":\"m\",\"input\":[{\"type\":\"function_call_output\",\"call_id\":\"c\"}]} | input[0].output | missing_required_parameter",
            "{\"model\":\"m\",\"input\":[{\"type\":\"function_call\",\"call_id\":\"c\",\"name\":\"f\"}]} | input[0].arguments | missing_required_parameter",
            "{\"model\":\"m\",\"input\":[{\"type\":\"custom_tool_call\",\"call_id\":\"c\",\"name\":\"f\"}]} | input[0].input | missing_required_parameter",
            "{\"model\":\"m\",\"input\":[{\"type\":\"reasoning\",\"summary\":{}}]}           | input[0].summary      | invalid_type",
            "{\"model\":\"m\",\"input\":\"x\",\"tools\":{}}                                 | tools                 | invalid_type",
            "{\"model\":\"m\",\"input\":\"x\",\"tools\":[{\"name\":\"f\"}]}                 | tools[0].type         | missing_required_parameter",
            "{\"model\":\"m\",\"input\":\"x\",\"tools\":[{\"type\":\"function\"}]}          | tools[0].name         | missing_required_parameter",
            "{\"model\":\"m\",\"input\":\"x\",\"tools\":[{\"type\":\"function\",\"name\":\"f\",\"parameters\":[]}]} | tools[0].parameters | invalid_type",
            "{\"model\":\"m\",\"input\":\"x\",\"tools\":[{\"type\":\"namespace\",\"name\":\"n\",\"tools\":[{\"type\":\"web_search\"}]}]} | tools[0].tools[0].type | invalid_value",
            "{\"model\":\"m\",\"input\":\"x\",\"tool_choice\":\"sometimes\"}                | tool_choice           | invalid_value",
            "{\"model\":\"m\",\"input\":\"x\",\"tool_choice\":{\"type\":\"function\"}}      | tool_choice.name      | missing_required_parameter",
            "{\"model\":\"m\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"yaml\"}}}    | text.format.type      | invalid_value",
            "{\"model\":\"m\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"n\"}}} | text.format.schema | missing_required_parameter",
            "{\"model\":\"m\",\"input\":\"x\",\"reasoning\":{\"effort\":3}}                 | reasoning.effort      | invalid_type",
            "{\"model\":\"m\",\"input\":\"x\",\"max_output_tokens\":0}                      | max_output_tokens     | invalid_value",
            "{\"model\":\"m\",\"input\":\"x\",\"temperature\":3}                            | temperature           | invalid_value",
            "{\"model\":\"m\",\"input\":\"x\",\"instructions\":[]}                          | instructions          | invalid_type",
            "{\"model\":\"m\",\"input\":\"x\",\"stream\":\"yes\"}                           | stream                | invalid_type"})
    void decodeRequest_badInput_preciseBadRequest(String body, String param, String code) {
        assertThatThrownBy(() -> ResponsesCodec.decodeRequest(obj(body)))
                .isInstanceOfSatisfying(ArbiterException.BadRequest.class, e -> {
                    assertThat(e.param()).isEqualTo(param);
                    assertThat(e.code()).isEqualTo(code);
                    assertThat(e.getMessage()).contains("'" + param + "'");
                });
    }

    @Test
    void decodeRequest_previousResponseIdWithoutInput_accepted() {
        assertThat(ResponsesCodec.decodeRequest(obj("{\"model\":\"m\",\"previous_response_id\":\"resp_1\"}")).messages()).isEmpty();
    }

    @Test
    void encodeResponse_chatAnswerWithText_validResponseEchoingTheRequest() throws Exception {
        LlmRequest req = ResponsesCodec.decodeRequest(fixtureBody("agents-sdk-responses-nonstream-tool-call.json"));
        LlmResponse answer = ChatResponses.decode(obj("""
                {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-2024-08-06",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"LANTERN"},"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":40,"completion_tokens":2,"total_tokens":42,"prompt_tokens_details":{"cached_tokens":32}}}"""));

        ObjectNode out = ResponsesCodec.encodeResponse(answer, req, "resp_arb1", CREATED, ENVELOPE);

        Response response = validResponse(out);
        assertThat(response.id()).isEqualTo("resp_arb1");
        assertThat(response.createdAt()).isEqualTo(CREATED);
        assertThat(out.get("model").asText()).isEqualTo("gpt-4.1-mini");
        assertThat(response.status()).hasValue(com.openai.models.responses.ResponseStatus.COMPLETED);
        assertThat(response.instructions().orElseThrow().asString()).isEqualTo(req.raw().get("instructions").asText());
        assertThat(response.tools()).singleElement().satisfies(t -> assertThat(t.asFunction().name()).isEqualTo("read_file"));
        assertThat(response.output()).singleElement().satisfies(item -> {
            var msg = item.asMessage();
            assertThat(msg.id()).startsWith("msg_");
            assertThat(msg.status()).isEqualTo(com.openai.models.responses.ResponseOutputMessage.Status.COMPLETED);
            assertThat(msg.content().getFirst().asOutputText().text()).isEqualTo("LANTERN");
        });
        var usage = response.usage().orElseThrow();
        assertThat(usage.inputTokens()).isEqualTo(40);
        assertThat(usage.inputTokensDetails().cachedTokens()).isEqualTo(32);
        assertThat(usage.totalTokens()).isEqualTo(42);
        assertThat(out.get("store").asBoolean()).isTrue();
        assertThat(out.at("/text/format/type").asText()).isEqualTo("text");
        assertThat(out.get("error").isNull()).isTrue();
    }

    @Test
    void encodeResponse_chatCallsToCustomAndNamespacedTools_customToolCallAndNamespacedFunctionCall() throws Exception {
        LlmRequest req = ResponsesCodec.decodeRequest(obj("""
                {"model":"gpt-5","input":"patch it","tools":[
                  {"type":"custom","name":"apply_patch","description":"FREEFORM","format":{"type":"grammar","syntax":"lark","definition":"start: /.+/"}},
                  {"type":"namespace","name":"crm","description":"CRM tools","tools":[{"type":"function","name":"lookup","parameters":{"type":"object","properties":{}}}]}]}"""));
        String patch = "*** Begin Patch\n*** Add File: a.txt\n+say \"hi\"\n*** End Patch";
        LlmResponse answer = ChatResponses.decode(obj("""
                {"id":"chatcmpl-2","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":null,
                 "tool_calls":[{"id":"call_p","type":"function","function":{"name":"apply_patch","arguments":%s}},
                               {"id":"call_l","type":"function","function":{"name":"crm__lookup","arguments":"{}"}}]},
                 "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":5,"completion_tokens":9,"total_tokens":14}}"""
                .formatted(Json.string(Json.NODES.textNode(Json.string(Json.object().put("input", patch)))))));

        Response response = validResponse(ResponsesCodec.encodeResponse(answer, req, "resp_2", CREATED, ENVELOPE));

        assertThat(response.output()).hasSize(2);
        var custom = response.output().get(0).asCustomToolCall();
        assertThat(custom.callId()).isEqualTo("call_p");
        assertThat(custom.name()).isEqualTo("apply_patch");
        assertThat(custom.input()).isEqualTo(patch);
        assertThat(custom.id()).hasValueSatisfying(id -> assertThat(id).startsWith("ctc_"));
        var fn = response.output().get(1).asFunctionCall();
        assertThat(fn.name()).isEqualTo("lookup");
        assertThat(fn.namespace()).hasValue("crm");
        assertThat(fn.id()).hasValueSatisfying(id -> assertThat(id).startsWith("fc_"));
        assertThat(fn.status()).hasValue(com.openai.models.responses.ResponseFunctionToolCall.Status.COMPLETED);
        assertThat(response.tools()).hasSize(2);
    }

    @Test
    void encodeResponse_anthropicThinking_reasoningItemSealedAndSummaryOnlyWhenAsked() throws Exception {
        LlmResponse answer = MessagesCodec.decodeResponse(obj("""
                {"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[
                  {"type":"thinking","thinking":"The user wants a file read.","signature":"EqQBCgIYAhIM"},
                  {"type":"tool_use","id":"toolu_1","name":"read_file","input":{"path":"/tmp/x"}}],
                 "stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":20}}"""));
        LlmRequest plain = ResponsesCodec.decodeRequest(obj("{\"model\":\"m\",\"input\":\"x\"}"));
        LlmRequest summarised = ResponsesCodec.decodeRequest(obj("{\"model\":\"m\",\"input\":\"x\",\"reasoning\":{\"effort\":\"high\",\"summary\":\"auto\"}}"));

        Response withoutSummary = validResponse(ResponsesCodec.encodeResponse(answer, plain, "resp_3", CREATED, ENVELOPE));
        Response withSummary = validResponse(ResponsesCodec.encodeResponse(answer, summarised, "resp_3", CREATED, ENVELOPE));

        var reasoning = withoutSummary.output().get(0).asReasoning();
        assertThat(reasoning.id()).startsWith("rs_");
        assertThat(reasoning.summary()).isEmpty();
        var sealed = ENVELOPE.openFor(reasoning.encryptedContent().orElseThrow(),
                WireFormat.ANTHROPIC_MESSAGES, "claude-sonnet-4-5").orElseThrow();
        assertThat(sealed.text()).isEqualTo("The user wants a file read.");
        assertThat(sealed.token()).isEqualTo("EqQBCgIYAhIM");
        assertThat(withoutSummary.output().get(1).asFunctionCall().arguments()).isEqualTo("{\"path\":\"/tmp/x\"}");
        assertThat(withSummary.output().get(0).asReasoning().summary()).singleElement()
                .satisfies(s -> assertThat(s.text()).isEqualTo("The user wants a file read."));
        assertThat(withSummary.reasoning().orElseThrow().summary().orElseThrow().asString()).isEqualTo("auto");
    }

    @Test
    void encodeResponse_lengthFinish_incompleteWithMaxOutputTokens() throws Exception {
        LlmRequest req = ResponsesCodec.decodeRequest(obj("{\"model\":\"m\",\"input\":\"x\",\"max_output_tokens\":16}"));
        LlmResponse answer = ChatResponses.decode(obj("""
                {"id":"c","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Once upon"},"finish_reason":"length"}]}"""));

        Response response = validResponse(ResponsesCodec.encodeResponse(answer, req, "resp_4", CREATED, ENVELOPE));

        assertThat(response.status()).hasValue(com.openai.models.responses.ResponseStatus.INCOMPLETE);
        assertThat(response.incompleteDetails().orElseThrow().reason())
                .hasValue(Response.IncompleteDetails.Reason.MAX_OUTPUT_TOKENS);
        assertThat(response.maxOutputTokens()).hasValue(16L);
    }

    static final String UPSTREAM_RESPONSE = """
            {"id":"resp_up1","object":"response","created_at":1767225600,"status":"completed","background":false,
             "error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"model":"gpt-5-2025-08-07",
             "output":[
               {"id":"rs_abc","type":"reasoning","summary":[{"type":"summary_text","text":"Plan: read it."}],
                "encrypted_content":"gAAAAB+enc/abc=="},
               {"id":"msg_abc","type":"message","status":"completed","role":"assistant",
                "content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Reading."}]},
               {"id":"fc_abc","type":"function_call","status":"completed","arguments":"{\\"path\\":\\"x\\"}",
                "call_id":"call_abc","name":"read_file"},
               {"id":"ctc_abc","type":"custom_tool_call","status":"completed","call_id":"call_def","name":"apply_patch",
                "input":"*** Begin Patch"}],
             "parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":"medium","summary":"auto"},
             "service_tier":"default","store":false,"temperature":1.0,"text":{"format":{"type":"text"},"verbosity":"medium"},
             "tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled",
             "usage":{"input_tokens":120,"input_tokens_details":{"cached_tokens":100,"cache_write_tokens":0},"output_tokens":80,
                      "output_tokens_details":{"reasoning_tokens":64},"total_tokens":200},
             "user":null,"metadata":{}}""";

    @Test
    void decodeResponse_upstreamResponse_oneAssistantMessageInOutputOrder() throws Exception {
        ObjectNode body = obj(UPSTREAM_RESPONSE);
        validResponse(body);

        LlmResponse r = ResponsesCodec.decodeResponse(body);

        assertThat(r.raw()).isSameAs(body);
        assertThat(r.format()).isEqualTo(WireFormat.OPENAI_RESPONSES);
        assertThat(r.id()).isEqualTo("resp_up1");
        assertThat(r.created()).isEqualTo(CREATED);
        assertThat(r.usage()).isEqualTo(new Usage(120, 80, 100, 0, 64, false));
        assertThat(r.choices()).singleElement().satisfies(c -> assertThat(c.finishReason()).isEqualTo(FinishReason.TOOL_CALLS));
        List<Part> parts = r.firstMessage().parts();
        assertThat(parts).hasExactlyElementsOfTypes(Part.Reasoning.class, Part.Text.class, Part.ToolCall.class,
                Part.CustomToolCall.class);
        Part.Reasoning reasoning = (Part.Reasoning) parts.get(0);
        assertThat(reasoning.id()).isEqualTo("rs_abc");
        assertThat(reasoning.encrypted()).isEqualTo("gAAAAB+enc/abc==");
        assertThat(reasoning.summary()).containsExactly("Plan: read it.");
        Part.ToolCall call = (Part.ToolCall) parts.get(2);
        assertThat(call.id()).isEqualTo("call_abc");
        assertThat(call.extra().get("id").asText()).isEqualTo("fc_abc");
        assertThat(((Part.CustomToolCall) parts.get(3)).input()).isEqualTo("*** Begin Patch");
    }

    @Test
    void decodeResponse_incompleteAtMaxOutputTokens_length() {
        ObjectNode body = obj(UPSTREAM_RESPONSE);
        body.put("status", "incomplete").putObject("incomplete_details").put("reason", "max_output_tokens");

        assertThat(ResponsesCodec.decodeResponse(body).choices().getFirst().finishReason()).isEqualTo(FinishReason.LENGTH);
    }

    @Test
    void decodeResponse_failedOrMalformed_upstreamError() {
        ObjectNode failed = obj(UPSTREAM_RESPONSE);
        failed.put("status", "failed").putObject("error").put("code", "rate_limit_exceeded").put("message", "slow down");

        assertThatThrownBy(() -> ResponsesCodec.decodeResponse(failed))
                .isInstanceOfSatisfying(ArbiterException.Upstream.class, e -> assertThat(e.status()).isEqualTo(429));
        assertThatThrownBy(() -> ResponsesCodec.decodeResponse(obj("{\"id\":\"resp_1\"}")))
                .isInstanceOfSatisfying(ArbiterException.Upstream.class, e -> assertThat(e.code()).isEqualTo("upstream_bad_response"));
    }

    @Test
    void encodeResponse_responsesUpstream_passedThroughWithOnlyTheIdReplaced() {
        ObjectNode body = obj(UPSTREAM_RESPONSE);
        LlmRequest req = ResponsesCodec.decodeRequest(obj("{\"model\":\"m\",\"input\":\"x\"}"));

        ObjectNode out = ResponsesCodec.encodeResponse(ResponsesCodec.decodeResponse(body), req, "resp_arb9", CREATED, ENVELOPE);

        ObjectNode expected = obj(UPSTREAM_RESPONSE).put("id", "resp_arb9");
        assertThat(out).isEqualTo(expected);
        assertThat(body.get("id").asText()).isEqualTo("resp_up1");
        assertThat(ResponsesCodec.encodeResponse(ResponsesCodec.decodeResponse(body), req, null, CREATED, ENVELOPE)).isEqualTo(body);
    }

    @Test
    void encodeRequest_chatConversation_itemsInOrderWithInstructionsAndCustomOutputs() throws Exception {
        LlmRequest chat = ChatCodec.decodeRequest(obj("""
                {"model":"alias","messages":[
                  {"role":"system","content":"Be brief."},
                  {"role":"user","content":[{"type":"text","text":"Patch and read"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]},
                  {"role":"assistant","content":"On it.","reasoning_content":"thinking","tool_calls":[
                     {"id":"call_1","type":"function","function":{"name":"read_file","arguments":"{\\"path\\":\\"x\\"}"}},
                     {"id":"call_2","type":"custom","custom":{"name":"apply_patch","input":"*** Begin Patch"}}]},
                  {"role":"tool","tool_call_id":"call_1","content":"contents"},
                  {"role":"tool","tool_call_id":"call_2","content":"Done"},
                  {"role":"developer","content":"Now summarise."}],
                 "tools":[{"type":"function","function":{"name":"read_file","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}},
                          {"type":"custom","custom":{"name":"apply_patch","format":{"type":"grammar","grammar":{"syntax":"lark","definition":"start: /.+/"}}}}],
                 "tool_choice":{"type":"function","function":{"name":"read_file"}},
                 "response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{"type":"object"},"strict":true}},
                 "max_tokens":4,"reasoning_effort":"low","stream":true}"""));

        ObjectNode out = ResponsesCodec.encodeRequest(chat, "gpt-5");

        ObjectMappers.jsonMapper().readValue(Json.string(out), ResponseCreateParams.Body.class).validate();
        assertThat(out.get("model").asText()).isEqualTo("gpt-5");
        assertThat(out.get("instructions").asText()).isEqualTo("Be brief.");
        assertThat(out.get("input")).extracting(i -> i.get("type").asText() + ":" + i.path("role").asText(""))
                .containsExactly("message:user", "message:assistant", "function_call:", "custom_tool_call:",
                        "function_call_output:", "custom_tool_call_output:", "message:developer");
        assertThat(out.at("/input/0/content/1")).isEqualTo(Json.parse("""
                {"type":"input_image","image_url":"https://x/y.png","detail":"auto"}"""));
        assertThat(out.at("/input/3/input").asText()).isEqualTo("*** Begin Patch");
        assertThat(out.at("/tools/0/strict").asBoolean(true)).isFalse();
        assertThat(out.at("/tools/1")).isEqualTo(Json.parse("""
                {"type":"custom","name":"apply_patch","format":{"type":"grammar","syntax":"lark","definition":"start: /.+/"}}"""));
        assertThat(out.get("tool_choice")).isEqualTo(Json.parse("{\"type\":\"function\",\"name\":\"read_file\"}"));
        assertThat(out.get("text")).isEqualTo(Json.parse("""
                {"format":{"type":"json_schema","name":"s","schema":{"type":"object"},"strict":true}}"""));
        assertThat(out.get("max_output_tokens").asInt()).isEqualTo(16);
        assertThat(out.get("reasoning")).isEqualTo(Json.parse("{\"effort\":\"low\"}"));
        assertThat(out.get("include")).isEqualTo(Json.parse("[\"reasoning.encrypted_content\"]"));
        assertThat(out.get("store").asBoolean()).isFalse();
        assertThat(out.get("stream").asBoolean()).isTrue();
    }

    @Test
    void encodeRequest_anthropicThinkingWithEnvelope_onlyTheEnvelopeForThisFormatAndModelCrosses() {
        ReasoningEnvelope envelope = ENVELOPE;
        String forUs = envelope.seal(new ReasoningEnvelope.Sealed(WireFormat.OPENAI_RESPONSES, "gpt-5", "why",
                "gAAAA-native", "rs_native", false));
        String otherModel = envelope.seal(new ReasoningEnvelope.Sealed(WireFormat.OPENAI_RESPONSES, "o3", "why",
                "gAAAA-o3", "rs_o3", false));
        LlmRequest anthropic = MessagesCodec.decodeRequest(obj("""
                {"model":"claude","max_tokens":100,"messages":[
                  {"role":"user","content":"go"},
                  {"role":"assistant","content":[
                     {"type":"thinking","thinking":"why","signature":"%s"},
                     {"type":"thinking","thinking":"why","signature":"%s"},
                     {"type":"thinking","thinking":"forged","signature":"arb1.e30.bad"},
                     {"type":"thinking","thinking":"native","signature":"EqQBCgIYAhIM"},
                     {"type":"tool_use","id":"toolu_1","name":"f","input":{}}]},
                  {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"ok","is_error":true}]}]}"""
                .formatted(forUs, otherModel)));

        // envelopes are opened by the attempt step's seal, with the gateway's key, before the codec encodes
        LlmRequest resolved = new ReasoningSeal(ENVELOPE, WireFormat.OPENAI_RESPONSES, "gpt-5").resolve(anthropic);
        ObjectNode out = ResponsesCodec.encodeRequest(resolved, "gpt-5");

        assertThat(out.get("input")).extracting(i -> i.get("type").asText())
                .containsExactly("message", "reasoning", "function_call", "function_call_output");
        assertThat(out.at("/input/1")).isEqualTo(Json.parse("""
                {"type":"reasoning","id":"rs_native","summary":[],"encrypted_content":"gAAAA-native"}"""));
        assertThat(out.at("/input/3/output").asText()).isEqualTo("Error: ok");
        assertThat(out.has("include")).isFalse();
    }

    @Test
    void encodeRequest_responsesRequest_namespacesRegroupedAndExtrasKept() throws Exception {
        LlmRequest req = ResponsesCodec.decodeRequest(obj("""
                {"model":"alias","input":[{"type":"function_call","call_id":"c1","name":"lookup","namespace":"crm","arguments":"{}"},
                   {"type":"function_call_output","call_id":"c1","output":"x"}],
                 "tools":[{"type":"namespace","name":"crm","description":"CRM","tools":[{"type":"function","name":"lookup","defer_loading":true}]},
                          {"type":"web_search"}],
                 "store":true,"metadata":{"k":"v"}}"""));

        ObjectNode out = ResponsesCodec.encodeRequest(req, "gpt-5");

        ObjectMappers.jsonMapper().readValue(Json.string(out), ResponseCreateParams.Body.class).validate();
        assertThat(out.get("tools")).isEqualTo(Json.parse("""
                [{"type":"namespace","name":"crm","description":"CRM","tools":[
                   {"type":"function","name":"lookup","parameters":{"type":"object","properties":{}},"defer_loading":true}]},
                 {"type":"web_search"}]"""));
        assertThat(out.at("/input/0")).isEqualTo(Json.parse("""
                {"type":"function_call","call_id":"c1","name":"lookup","namespace":"crm","arguments":"{}"}"""));
        assertThat(out.get("store").asBoolean()).isTrue();
        assertThat(out.get("metadata")).isEqualTo(Json.parse("{\"k\":\"v\"}"));
    }

    static Response validResponse(ObjectNode json) throws IOException {
        Response r = ObjectMappers.jsonMapper().readValue(Json.string(json), Response.class);
        r.validate();
        for (ResponseOutputItem item : r.output()) item.validate();
        return r;
    }

    @Test
    void decodeRequest_outputWithoutCallIdNamedLikeAnOpenCall_answersTheLatestUnansweredCallOfThatName() {
        LlmRequest req = ResponsesCodec.decodeRequest(obj("""
                {"model":"m","input":[{"role":"user","content":"two files"},
                  {"type":"function_call","call_id":"c1","name":"read","arguments":"{}"},
                  {"type":"function_call","call_id":"c2","name":"read","arguments":"{}"},
                  {"type":"function_call","call_id":"c3","name":"write","arguments":"{}"},
                  {"type":"function_call_output","call_id":"c3","output":"written"},
                  {"type":"function_call_output","id":"fco_1","name":"read","output":"second"},
                  {"type":"function_call_output","name":"read","output":"first"}]}"""));

        assertThat(req.messages()).extracting(Message::role).containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL);
        assertThat(req.messages().get(2).parts()).extracting(part -> ((Part.ToolResult) part).callId())
                .containsExactly("c3", "c2", "c1");
        assertThat(((Part.ToolResult) req.messages().get(2).parts().get(1)).text()).isEqualTo("second");
        JsonNode chat = ChatCodec.encodeRequest(req, "gpt-4o").get("messages");
        assertThat(chat).extracting(m -> m.path("tool_call_id").asText()).containsExactly("", "", "c3", "c2", "c1");
        JsonNode anthropic = MessagesCodec.encodeRequest(req, "claude").get("messages");
        assertThat(anthropic.get(2).get("content")).extracting(b -> b.get("tool_use_id").asText())
                .containsExactly("c3", "c2", "c1");
    }

    @Test
    void decodeRequest_codexGoalOutputWithoutCallIdOrMatchingCall_userTextNamingTheToolAfterTheToolRun() {
        LlmRequest req = ResponsesCodec.decodeRequest(obj("""
                {"model":"m","input":[{"role":"user","content":"set a goal"},
                  {"type":"function_call","call_id":"c1","name":"create_goal","arguments":"{\\"objective\\":\\"ship\\"}"},
                  {"type":"function_call_output","id":"fco_9","name":"goal_objective","namespace":"agent","output":"Objective: ship"},
                  {"type":"function_call_output","call_id":"c1","output":"created"},
                  {"role":"user","content":"go on"}]}"""));

        assertThat(req.messages()).extracting(Message::role)
                .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.USER, Role.USER);
        assertThat(((Part.ToolResult) req.messages().get(2).parts().getFirst()).callId()).isEqualTo("c1");
        assertThat(req.messages().get(3).text()).isEqualTo("Output of tool agent.goal_objective:\nObjective: ship");
        JsonNode chat = ChatCodec.encodeRequest(req, "gpt-4o").get("messages");
        assertThat(chat).extracting(m -> m.get("role").asText()).containsExactly("user", "assistant", "tool", "user", "user");
        assertThat(chat.get(3).get("content").asText()).contains("agent.goal_objective", "Objective: ship");
        JsonNode anthropic = MessagesCodec.encodeRequest(req, "claude").get("messages");
        assertThat(anthropic).extracting(m -> m.get("role").asText()).containsExactly("user", "assistant", "user");
        assertThat(anthropic.get(2).get("content")).extracting(b -> b.get("type").asText())
                .containsExactly("tool_result", "text", "text");
        assertThat(ResponsesCodec.encodeRequest(req.toBuilder().raw(null).build(), "gpt-5").get("input"))
                .extracting(i -> i.get("type").asText())
                .containsExactly("message", "function_call", "function_call_output", "message", "message");
    }

    @Test
    void decodeRequest_outputWithoutCallIdOrName_userText() {
        LlmRequest req = ResponsesCodec.decodeRequest(obj("""
                {"model":"m","input":[{"type":"custom_tool_call_output","output":[{"type":"input_text","text":"x"}]}]}"""));
        assertThat(req.messages()).containsExactly(Message.text(Role.USER, "Output of tool (unnamed):\nx"));
    }

    @Test
    void decodeRequest_itemWithOnlyAnId_isAnItemReference() {
        LlmRequest req = ResponsesCodec.decodeRequest(obj("""
                {"model":"m","input":[{"role":"user","content":"hi"},{"id":"msg_9"}]}"""));
        assertThat(req.messages()).extracting(Message::role).containsExactly(Role.USER, Role.ASSISTANT);
        assertThat(((Part.Opaque) req.messages().get(1).parts().getFirst()).type()).isEqualTo("item_reference");
    }

    static ObjectNode obj(String json) {
        return (ObjectNode) Json.parse(json);
    }
}
