package dev.arbiter.responses;

import dev.arbiter.wire.Json;
import dev.arbiter.wire.SseReader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.core.ObjectMappers;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseStreamEvent;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.FinishReason;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.SseEvent;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.Usage;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.reasoning.ReasoningEnvelope;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ResponsesStreamTest {
    private static final ReasoningEnvelope ENVELOPE = new ReasoningEnvelope("a-test-key-of-32-bytes-length!!!".getBytes());
    private static final long CREATED = 1_767_225_600L;
    private static final String RESPONSE_IN_PROGRESS = """
            {"id":"resp_up1","object":"response","created_at":1767225600,"status":"in_progress","background":false,\
            "error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"model":"gpt-5-2025-08-07",\
            "output":[],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":"medium","summary":"auto"},\
            "service_tier":"auto","store":false,"temperature":1.0,"text":{"format":{"type":"text"},"verbosity":"medium"},\
            "tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":null,"user":null,"metadata":{}}""";

    /** Shaped as the Responses API streams reasoning summaries, a message, a function call and a custom tool call. */
    private static final String TRANSCRIPT = sse(5, """
            {"type":"response.created","response":%1$s}
            {"type":"response.in_progress","response":%1$s}
            {"type":"response.output_item.added","output_index":0,"item":{"id":"rs_abc","type":"reasoning","summary":[]}}
            {"type":"response.reasoning_summary_part.added","item_id":"rs_abc","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":""}}
            {"type":"response.reasoning_summary_text.delta","item_id":"rs_abc","output_index":0,"summary_index":0,"delta":"Plan: read","obfuscation":"q1"}
            {"type":"response.reasoning_summary_text.delta","item_id":"rs_abc","output_index":0,"summary_index":0,"delta":" the file.","obfuscation":"q2"}
            {"type":"response.reasoning_summary_text.done","item_id":"rs_abc","output_index":0,"summary_index":0,"text":"Plan: read the file."}
            {"type":"response.reasoning_summary_part.done","item_id":"rs_abc","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":"Plan: read the file."}}
            {"type":"response.reasoning_summary_part.added","item_id":"rs_abc","output_index":0,"summary_index":1,"part":{"type":"summary_text","text":""}}
            {"type":"response.reasoning_summary_text.delta","item_id":"rs_abc","output_index":0,"summary_index":1,"delta":"Then patch.","obfuscation":"q3"}
            {"type":"response.reasoning_summary_text.done","item_id":"rs_abc","output_index":0,"summary_index":1,"text":"Then patch."}
            {"type":"response.reasoning_summary_part.done","item_id":"rs_abc","output_index":0,"summary_index":1,"part":{"type":"summary_text","text":"Then patch."}}
            {"type":"response.output_item.done","output_index":0,"item":{"id":"rs_abc","type":"reasoning","summary":[{"type":"summary_text","text":"Plan: read the file."},{"type":"summary_text","text":"Then patch."}],"encrypted_content":"gAAAAB+enc/abc=="}}
            {"type":"response.output_item.added","output_index":1,"item":{"id":"msg_abc","type":"message","status":"in_progress","content":[],"role":"assistant"}}
            {"type":"response.content_part.added","item_id":"msg_abc","output_index":1,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}}
            {"type":"response.output_text.delta","item_id":"msg_abc","output_index":1,"content_index":0,"delta":"Reading","logprobs":[],"obfuscation":"a"}
            {"type":"response.output_text.delta","item_id":"msg_abc","output_index":1,"content_index":0,"delta":" it.","logprobs":[],"obfuscation":"b"}
            {"type":"response.output_text.done","item_id":"msg_abc","output_index":1,"content_index":0,"text":"Reading it.","logprobs":[]}
            {"type":"response.content_part.done","item_id":"msg_abc","output_index":1,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":"Reading it."}}
            {"type":"response.output_item.done","output_index":1,"item":{"id":"msg_abc","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Reading it."}],"role":"assistant"}}
            {"type":"response.output_item.added","output_index":2,"item":{"id":"fc_abc","type":"function_call","status":"in_progress","arguments":"","call_id":"call_abc","name":"read_file"}}
            {"type":"response.function_call_arguments.delta","item_id":"fc_abc","output_index":2,"delta":"{\\"path\\":","obfuscation":"c"}
            {"type":"response.function_call_arguments.delta","item_id":"fc_abc","output_index":2,"delta":"\\"x\\"}","obfuscation":"d"}
            {"type":"response.function_call_arguments.done","item_id":"fc_abc","output_index":2,"arguments":"{\\"path\\":\\"x\\"}"}
            {"type":"response.output_item.done","output_index":2,"item":{"id":"fc_abc","type":"function_call","status":"completed","arguments":"{\\"path\\":\\"x\\"}","call_id":"call_abc","name":"read_file"}}
            {"type":"response.output_item.added","output_index":3,"item":{"id":"ctc_abc","type":"custom_tool_call","status":"in_progress","call_id":"call_def","input":"","name":"apply_patch"}}
            {"type":"response.custom_tool_call_input.delta","item_id":"ctc_abc","output_index":3,"delta":"*** Begin Patch\\n","obfuscation":"e"}
            {"type":"response.custom_tool_call_input.delta","item_id":"ctc_abc","output_index":3,"delta":"*** End Patch","obfuscation":"f"}
            {"type":"response.custom_tool_call_input.done","item_id":"ctc_abc","output_index":3,"input":"*** Begin Patch\\n*** End Patch"}
            {"type":"response.output_item.done","output_index":3,"item":{"id":"ctc_abc","type":"custom_tool_call","status":"completed","call_id":"call_def","input":"*** Begin Patch\\n*** End Patch","name":"apply_patch"}}
            {"type":"response.completed","response":%2$s}
            """.formatted(RESPONSE_IN_PROGRESS, completedResponse()));

    private static String completedResponse() {
        ObjectNode r = (ObjectNode) Json.parse(RESPONSE_IN_PROGRESS);
        r.put("status", "completed").put("service_tier", "default");
        r.set("output", Json.parse("""
                [{"id":"rs_abc","type":"reasoning","summary":[{"type":"summary_text","text":"Plan: read the file."},{"type":"summary_text","text":"Then patch."}],"encrypted_content":"gAAAAB+enc/abc=="},
                 {"id":"msg_abc","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Reading it."}],"role":"assistant"},
                 {"id":"fc_abc","type":"function_call","status":"completed","arguments":"{\\"path\\":\\"x\\"}","call_id":"call_abc","name":"read_file"},
                 {"id":"ctc_abc","type":"custom_tool_call","status":"completed","call_id":"call_def","input":"*** Begin Patch\\n*** End Patch","name":"apply_patch"}]"""));
        r.set("usage", Json.parse("""
                {"input_tokens":120,"input_tokens_details":{"cached_tokens":100,"cache_write_tokens":0},"output_tokens":80,
                 "output_tokens_details":{"reasoning_tokens":64},"total_tokens":200}"""));
        return Json.string(r);
    }

    /** Server-sent events for the given JSON lines, each named by its type and numbered from {@code first}. */
    private static String sse(int first, String lines) {
        var sb = new StringBuilder();
        int seq = first;
        for (String line : lines.strip().split("\n")) {
            ObjectNode n = (ObjectNode) Json.parse(line);
            n.put("sequence_number", seq++);
            sb.append("event: ").append(n.get("type").asText()).append('\n').append("data: ").append(Json.string(n)).append("\n\n");
        }
        return sb.toString();
    }

    @Test
    void transcript_everyEvent_validAgainstTheSdk() throws IOException {
        assertThat(readAll(TRANSCRIPT)).hasSize(31).allSatisfy(ResponsesStreamTest::validEvent);
    }

    @Test
    void decode_realisticTranscript_typedEventsInOrder() throws IOException {
        var decoder = new ResponsesStreamDecoder();

        List<StreamEvent> events = decodeAll(decoder, TRANSCRIPT);

        assertThat(events).containsExactly(
                new StreamEvent.Started("resp_up1", "gpt-5-2025-08-07", 0),
                new StreamEvent.ReasoningDelta(0, "Plan: read"),
                new StreamEvent.ReasoningDelta(0, " the file."),
                new StreamEvent.ReasoningDelta(0, "\n\nThen patch."),
                new StreamEvent.ReasoningSignature(0, "gAAAAB+enc/abc==", "rs_abc"),
                new StreamEvent.TextDelta(0, "Reading"),
                new StreamEvent.TextDelta(0, " it."),
                new StreamEvent.ToolCallStarted(0, 0, "call_abc", "read_file", false),
                new StreamEvent.ToolArgumentsDelta(0, 0, "{\"path\":"),
                new StreamEvent.ToolArgumentsDelta(0, 0, "\"x\"}"),
                new StreamEvent.ToolCallStarted(0, 1, "call_def", "apply_patch", true),
                new StreamEvent.ToolArgumentsDelta(0, 1, "*** Begin Patch\n"),
                new StreamEvent.ToolArgumentsDelta(0, 1, "*** End Patch"),
                new StreamEvent.Finished(0, FinishReason.TOOL_CALLS, null),
                new StreamEvent.UsageReported(new Usage(120, 80, 100, 0, 64, false)),
                new StreamEvent.Completed());
        assertThat(decoder.complete()).isTrue();
    }

    @Test
    void decode_truncatedTranscript_notComplete() throws IOException {
        var decoder = new ResponsesStreamDecoder();

        decodeAll(decoder, TRANSCRIPT.substring(0, TRANSCRIPT.indexOf("event: response.completed")));

        assertThat(decoder.complete()).isFalse();
    }

    @Test
    void decode_onlyDoneEvents_wholeContentOnce() {
        var decoder = new ResponsesStreamDecoder();
        decoder.decode(SseEvent.named("response.output_item.added", """
                {"type":"response.output_item.added","output_index":0,"item":{"type":"function_call","call_id":"c","name":"f","arguments":""}}"""));

        assertThat(decoder.decode(SseEvent.named("response.function_call_arguments.done", """
                {"type":"response.function_call_arguments.done","output_index":0,"item_id":"fc","arguments":"{}"}""")))
                .containsExactly(new StreamEvent.ToolArgumentsDelta(0, 0, "{}"));
        assertThat(decoder.decode(SseEvent.named("response.output_text.done", """
                {"type":"response.output_text.done","output_index":1,"content_index":0,"item_id":"m","text":"Hi"}""")))
                .containsExactly(new StreamEvent.TextDelta(0, "Hi"));
    }

    @Test
    void decode_incomplete_lengthAndComplete() {
        var decoder = new ResponsesStreamDecoder();
        ObjectNode response = (ObjectNode) Json.parse(RESPONSE_IN_PROGRESS);
        response.put("status", "incomplete").putObject("incomplete_details").put("reason", "max_output_tokens");

        List<StreamEvent> events = decoder.decode(SseEvent.named("response.incomplete",
                Json.string(Json.object().put("type", "response.incomplete").set("response", response))));

        assertThat(events).contains(new StreamEvent.Finished(0, FinishReason.LENGTH, null), new StreamEvent.Completed());
        assertThat(decoder.complete()).isTrue();
    }

    @ParameterizedTest
    @CsvSource({"rate_limit_exceeded,429", "server_error,500", "invalid_prompt,400", "vector_store_timeout,502"})
    void decode_failedOrError_upstreamExceptionWithMappedStatus(String code, int status) {
        String failed = """
                {"type":"response.failed","response":{"id":"r","status":"failed","error":{"code":"%s","message":"secret detail"}}}"""
                .formatted(code);
        String error = """
                {"type":"error","code":"%s","message":"secret detail","param":null,"sequence_number":3}""".formatted(code);

        for (String data : List.of(failed, error)) {
            assertThatThrownBy(() -> new ResponsesStreamDecoder().decode(SseEvent.named(null, data)))
                    .isInstanceOfSatisfying(ArbiterException.Upstream.class, e -> {
                        assertThat(e.status()).isEqualTo(status);
                        assertThat(e.getMessage()).contains(code).doesNotContain("secret");
                    });
        }
    }

    @Test
    void decode_dataNotJson_upstreamBadResponse() {
        assertThatThrownBy(() -> new ResponsesStreamDecoder().decode(SseEvent.named("response.created", "{\"type\":")))
                .isInstanceOfSatisfying(ArbiterException.Upstream.class, e -> assertThat(e.code()).isEqualTo("upstream_bad_response"));
    }

    @Test
    void encode_textFromChatUpstream_exactSequenceValidEventByEvent() throws IOException {
        var encoder = new ResponsesStreamEncoder(request("{\"model\":\"alias\",\"input\":\"hi\",\"stream\":true}"), "resp_arb1", CREATED, ENVELOPE);
        var out = new ArrayList<SseEvent>();

        out.addAll(encoder.encode(typed(new StreamEvent.Started("chatcmpl-1", "gpt-4o", 0), new StreamEvent.TextDelta(0, "Hel"))));
        out.addAll(encoder.encode(typed(new StreamEvent.TextDelta(0, "lo"), new StreamEvent.TextDelta(1, "other choice"))));
        out.addAll(encoder.encode(typed(new StreamEvent.Finished(0, FinishReason.STOP, null))));
        out.addAll(encoder.encode(typed(new StreamEvent.UsageReported(new Usage(9, 2, 0, 0, 0, false)))));
        out.addAll(encoder.encode(typed(new StreamEvent.Completed())));

        List<JsonNode> events = validSequence(out);
        assertThat(events).extracting(e -> e.get("type").asText()).containsExactly(
                "response.created", "response.in_progress",
                "response.output_item.added", "response.content_part.added",
                "response.output_text.delta", "response.output_text.delta",
                "response.output_text.done", "response.content_part.done", "response.output_item.done",
                "response.completed");
        assertThat(events.get(0).at("/response/id").asText()).isEqualTo("resp_arb1");
        assertThat(events.get(0).at("/response/status").asText()).isEqualTo("in_progress");
        assertThat(events.get(0).at("/response/output")).isEmpty();
        assertThat(events.get(6).get("text").asText()).isEqualTo("Hello");
        String itemId = events.get(2).at("/item/id").asText();
        assertThat(itemId).startsWith("msg_");
        assertThat(events.subList(3, 8)).allSatisfy(e -> assertThat(e.get("item_id").asText()).isEqualTo(itemId));
        Response done = finalResponse(events.getLast());
        assertThat(done.output()).singleElement().satisfies(i ->
                assertThat(i.asMessage().content().getFirst().asOutputText().text()).isEqualTo("Hello"));
        assertThat(done.usage().orElseThrow().totalTokens()).isEqualTo(11);
        assertThat(done.model().toString()).contains("alias");
        assertThat(encoder.finish()).isEmpty();
    }

    @Test
    void encode_textDeltas_hardTextIsEscaped_fieldsAsTheTreeWouldWriteThem() throws IOException {
        var encoder = new ResponsesStreamEncoder(request("{\"model\":\"m\",\"input\":\"hi\"}"), "resp_arb9", CREATED, ENVELOPE);
        var out = new ArrayList<SseEvent>();
        String hard = "say \"hi\"\n\tback\\slash \u0001 é 日本 🙂 </script>";
        out.addAll(encoder.encode(typed(new StreamEvent.Started("chatcmpl-1", "gpt-4o", 0), new StreamEvent.TextDelta(0, hard))));
        out.addAll(encoder.encode(typed(new StreamEvent.Finished(0, FinishReason.STOP, null), new StreamEvent.Completed())));

        List<JsonNode> events = validSequence(out);
        SseEvent delta = out.stream().filter(e -> "response.output_text.delta".equals(e.event())).findFirst().orElseThrow();
        var tree = Json.object().put("type", "response.output_text.delta").put("output_index", 0)
                .put("item_id", "msg_arb9_0").put("content_index", 0).put("delta", hard);
        tree.set("logprobs", Json.array());
        tree.put("sequence_number", Json.parse(delta.data()).get("sequence_number").asLong());
        assertThat(delta.data()).isEqualTo(Json.string(tree));
        assertThat(delta.data()).doesNotContain("\n\t");   // raw control characters never reach the wire
        assertThat(events.getLast().at("/response/output/0/content/0/text").asText()).isEqualTo(hard);
    }

    @Test
    void encode_functionCall_argumentsStreamedThenDone() throws IOException {
        var encoder = new ResponsesStreamEncoder(request("{\"model\":\"m\",\"input\":\"hi\"}"), "resp_arb2", CREATED, ENVELOPE);
        var out = new ArrayList<SseEvent>();

        out.addAll(encoder.encode(typed(new StreamEvent.Started("chatcmpl-1", "gpt-4o", 0),
                new StreamEvent.ToolCallStarted(0, 0, "call_1", "read_file", false))));
        out.addAll(encoder.encode(typed(new StreamEvent.ToolArgumentsDelta(0, 0, "{\"path\""))));
        out.addAll(encoder.encode(typed(new StreamEvent.ToolArgumentsDelta(0, 0, ":\"x\"}"))));
        out.addAll(encoder.encode(typed(new StreamEvent.Finished(0, FinishReason.TOOL_CALLS, null), new StreamEvent.Completed())));

        List<JsonNode> events = validSequence(out);
        assertThat(events).extracting(e -> e.get("type").asText()).containsExactly(
                "response.created", "response.in_progress", "response.output_item.added",
                "response.function_call_arguments.delta", "response.function_call_arguments.delta",
                "response.function_call_arguments.done", "response.output_item.done", "response.completed");
        assertThat(events.get(2).get("item")).isEqualTo(Json.parse("""
                {"id":"fc_arb2_0","type":"function_call","status":"in_progress","call_id":"call_1","name":"read_file","arguments":""}"""));
        assertThat(events.get(5).get("arguments").asText()).isEqualTo("{\"path\":\"x\"}");
        var call = finalResponse(events.getLast()).output().getFirst().asFunctionCall();
        assertThat(call.callId()).isEqualTo("call_1");
        assertThat(call.arguments()).isEqualTo("{\"path\":\"x\"}");
    }

    @Test
    void encode_customToolCalledAsChatFunction_inputUnwrappedAsFragmentsArrive() throws IOException {
        var encoder = new ResponsesStreamEncoder(request("""
                {"model":"m","input":"patch","tools":[{"type":"custom","name":"apply_patch","format":{"type":"text"}}]}"""),
                "resp_arb3", CREATED, ENVELOPE);
        String expected = "*** Begin Patch\n*** Add File: a.txt\n+say \"hi\"\n+café 😀 \\o/\n*** End Patch";
        List<String> fragments = List.of("{\"inp", "ut\": \"*** Begin Patch\\n*** Add File: a.txt\\n+say \\\"hi", "\\\"\\",
                "n+caf\\u00", "e9 \\ud83d", "\\ude00 \\\\o", "/\\n*** End Patch\"}");
        var out = new ArrayList<SseEvent>();
        var deltasPerFragment = new ArrayList<String>();

        out.addAll(encoder.encode(typed(new StreamEvent.ToolCallStarted(0, 0, "call_p", "apply_patch", false))));
        for (String f : fragments) {
            List<SseEvent> step = encoder.encode(typed(new StreamEvent.ToolArgumentsDelta(0, 0, f)));
            out.addAll(step);
            deltasPerFragment.add(String.join("", step.stream().map(e -> Json.parse(e.data()).get("delta").asText()).toList()));
        }
        out.addAll(encoder.encode(typed(new StreamEvent.Finished(0, FinishReason.TOOL_CALLS, null), new StreamEvent.Completed())));

        assertThat(deltasPerFragment).containsExactly("", "*** Begin Patch\n*** Add File: a.txt\n+say \"hi", "\"",
                "\n+caf", "é ", "😀 \\o", "/\n*** End Patch");
        List<JsonNode> events = validSequence(out);
        assertThat(events).extracting(e -> e.get("type").asText()).containsExactly(
                "response.created", "response.in_progress", "response.output_item.added",
                "response.custom_tool_call_input.delta", "response.custom_tool_call_input.delta",
                "response.custom_tool_call_input.delta", "response.custom_tool_call_input.delta",
                "response.custom_tool_call_input.delta", "response.custom_tool_call_input.delta",
                "response.custom_tool_call_input.done", "response.output_item.done", "response.completed");
        assertThat(events.get(2).at("/item/type").asText()).isEqualTo("custom_tool_call");
        assertThat(events.get(9).get("input").asText()).isEqualTo(expected);
        var call = finalResponse(events.getLast()).output().getFirst().asCustomToolCall();
        assertThat(call.name()).isEqualTo("apply_patch");
        assertThat(call.callId()).isEqualTo("call_p");
        assertThat(call.input()).isEqualTo(expected);
    }

    @Test
    void encode_anthropicThinkingWithSummaryAsked_summaryEventsAndSealedSignature() throws IOException {
        var encoder = new ResponsesStreamEncoder(request("""
                {"model":"m","input":"hi","reasoning":{"effort":"high","summary":"auto"}}"""), "resp_arb4", CREATED, ENVELOPE);
        var out = new ArrayList<SseEvent>();

        out.addAll(encoder.encode(anthropic(new StreamEvent.Started("msg_1", "claude-sonnet-4-5", 12),
                new StreamEvent.ReasoningDelta(0, "The user"))));
        out.addAll(encoder.encode(anthropic(new StreamEvent.ReasoningDelta(0, " wants a file."))));
        out.addAll(encoder.encode(anthropic(new StreamEvent.ReasoningSignature(0, "EqQBCgIYAhIM"))));
        out.addAll(encoder.encode(anthropic(new StreamEvent.TextDelta(0, "Ok"))));
        out.addAll(encoder.encode(anthropic(new StreamEvent.Finished(0, FinishReason.STOP, null),
                new StreamEvent.UsageReported(new Usage(12, 30, 0, 0, 0, false)), new StreamEvent.Completed())));

        List<JsonNode> events = validSequence(out);
        assertThat(events).extracting(e -> e.get("type").asText()).containsExactly(
                "response.created", "response.in_progress",
                "response.output_item.added", "response.reasoning_summary_part.added",
                "response.reasoning_summary_text.delta", "response.reasoning_summary_text.delta",
                "response.reasoning_summary_text.done", "response.reasoning_summary_part.done", "response.output_item.done",
                "response.output_item.added", "response.content_part.added", "response.output_text.delta",
                "response.output_text.done", "response.content_part.done", "response.output_item.done",
                "response.completed");
        assertThat(events.get(3).get("output_index").asInt()).isZero();
        assertThat(events.get(9).get("output_index").asInt()).isEqualTo(1);
        JsonNode reasoning = events.get(8).get("item");
        assertThat(reasoning.at("/summary/0/text").asText()).isEqualTo("The user wants a file.");
        var sealed = ENVELOPE.openFor(reasoning.get("encrypted_content").asText(),
                WireFormat.ANTHROPIC_MESSAGES, "claude-sonnet-4-5").orElseThrow();
        assertThat(sealed.text()).isEqualTo("The user wants a file.");
        assertThat(sealed.token()).isEqualTo("EqQBCgIYAhIM");
        Response done = finalResponse(events.getLast());
        assertThat(done.output()).hasSize(2);
        assertThat(done.output().getFirst().asReasoning().encryptedContent()).hasValue(reasoning.get("encrypted_content").asText());
    }

    @Test
    void encode_reasoningWithoutSummaryAsked_onlyTheItemWithItsEnvelope() throws IOException {
        var encoder = new ResponsesStreamEncoder(request("{\"model\":\"m\",\"input\":\"hi\"}"), "resp_arb5", CREATED, ENVELOPE);

        List<SseEvent> out = new ArrayList<>(encoder.encode(anthropic(new StreamEvent.ReasoningDelta(0, "secret plan"),
                new StreamEvent.ReasoningSignature(0, "sig"), new StreamEvent.RedactedReasoning(0, "opaque"))));
        out.addAll(encoder.finish());

        List<JsonNode> events = validSequence(out);
        assertThat(events).extracting(e -> e.get("type").asText()).containsExactly(
                "response.created", "response.in_progress", "response.output_item.added", "response.output_item.done",
                "response.output_item.added", "response.output_item.done", "response.completed");
        assertThat(out).noneMatch(e -> e.data().contains("secret plan"));
        var redacted = ENVELOPE.open(events.get(5).at("/item/encrypted_content").asText()).orElseThrow();
        assertThat(redacted.redacted()).isTrue();
        assertThat(redacted.token()).isEqualTo("opaque");
        assertThat(events.get(5).at("/item/summary")).isEmpty();
    }

    @Test
    void encode_lengthFinish_responseIncomplete() throws IOException {
        var encoder = new ResponsesStreamEncoder(request("{\"model\":\"m\",\"input\":\"hi\",\"max_output_tokens\":20}"), "resp_arb6", CREATED, ENVELOPE);

        List<SseEvent> out = encoder.encode(typed(new StreamEvent.TextDelta(0, "Once"),
                new StreamEvent.Finished(0, FinishReason.LENGTH, null), new StreamEvent.Completed()));

        JsonNode last = validSequence(out).getLast();
        assertThat(last.get("type").asText()).isEqualTo("response.incomplete");
        Response response = finalResponse(last);
        assertThat(response.incompleteDetails().orElseThrow().reason()).hasValue(Response.IncompleteDetails.Reason.MAX_OUTPUT_TOKENS);
    }

    @Test
    void error_afterText_errorEventThenResponseFailedAndNothingMore() throws IOException {
        var encoder = new ResponsesStreamEncoder(request("{\"model\":\"m\",\"input\":\"hi\"}"), "resp_arb7", CREATED, ENVELOPE);
        var out = new ArrayList<>(encoder.encode(typed(new StreamEvent.TextDelta(0, "partial"))));

        out.addAll(encoder.error(new ArbiterException.Upstream(529, "upstream anthropic is overloaded (HTTP 529)",
                "upstream_http_529", null)));

        List<JsonNode> events = validSequence(out);
        assertThat(events.get(events.size() - 2)).isEqualTo(Json.parse("""
                {"type":"error","code":"upstream_http_529","message":"upstream anthropic is overloaded (HTTP 529)",
                 "param":null,"sequence_number":%d}""".formatted(events.size() - 2)));
        JsonNode failed = events.getLast();
        assertThat(failed.get("type").asText()).isEqualTo("response.failed");
        assertThat(failed.at("/response/status").asText()).isEqualTo("failed");
        assertThat(failed.at("/response/error/code").asText()).isEqualTo("server_error");
        assertThat(encoder.finish()).isEmpty();
        assertThat(encoder.error(new ArbiterException.Internal("again"))).isEmpty();
        assertThat(encoder.keepAlive()).isEqualTo(SseEvent.comment(" keep-alive"));
    }

    @Test
    void encode_responsesFrames_passedThroughRenumberedWithArbitersId() throws IOException {
        var encoder = new ResponsesStreamEncoder(request("{\"model\":\"m\",\"input\":\"hi\"}"), "resp_arb8", CREATED, ENVELOPE);
        var decoder = new ResponsesStreamDecoder();
        List<SseEvent> in = readAll(TRANSCRIPT);
        var out = new ArrayList<SseEvent>();

        for (SseEvent e : in) out.addAll(encoder.encode(new Frame(WireFormat.OPENAI_RESPONSES, e, decoder.decode(e))));

        assertThat(out).hasSameSizeAs(in);
        for (int i = 0; i < in.size(); i++) {
            ObjectNode expected = (ObjectNode) Json.parse(in.get(i).data());
            expected.put("sequence_number", i);
            if (expected.get("response") instanceof ObjectNode r) r.put("id", "resp_arb8");
            assertThat(Json.parse(out.get(i).data())).isEqualTo(expected);
            assertThat(out.get(i).event()).isEqualTo(in.get(i).event());
        }
        validSequence(out);
        assertThat(encoder.finish()).isEmpty();
        assertThat(encoder.error(new ArbiterException.Internal("late"))).isEmpty();
    }

    @Test
    void error_midPassThrough_continuesTheSequence() throws IOException {
        var encoder = new ResponsesStreamEncoder(request("{\"model\":\"m\",\"input\":\"hi\"}"), "resp_arb9", CREATED, ENVELOPE);
        var out = new ArrayList<SseEvent>();
        for (SseEvent e : readAll(TRANSCRIPT).subList(0, 17)) out.addAll(encoder.encode(new Frame(WireFormat.OPENAI_RESPONSES, e, List.of())));

        out.addAll(encoder.error(new ArbiterException.Upstream(0, "upstream openai stopped mid-stream", "upstream_cut", null)));

        List<JsonNode> events = validSequence(out);
        assertThat(events).hasSize(19);
        assertThat(events.getLast().at("/response/id").asText()).isEqualTo("resp_arb9");
        assertThat(events.getLast().at("/response/output")).isEmpty();
    }

    @Test
    void encode_thenDecode_givesTheTypedEventsBack() {
        var encoder = new ResponsesStreamEncoder(request("{\"model\":\"m\",\"input\":\"hi\"}"), "resp_rt", CREATED, ENVELOPE);
        List<StreamEvent> sent = List.of(
                new StreamEvent.Started("x", "gpt-4o", 0),
                new StreamEvent.TextDelta(0, "Hi"),
                new StreamEvent.ToolCallStarted(0, 0, "call_1", "f", false),
                new StreamEvent.ToolArgumentsDelta(0, 0, "{}"),
                new StreamEvent.ToolCallStarted(0, 1, "call_2", "g", true),
                new StreamEvent.ToolArgumentsDelta(0, 1, "raw text"),
                new StreamEvent.Finished(0, FinishReason.TOOL_CALLS, null),
                new StreamEvent.UsageReported(new Usage(30, 3, 0, 0, 0, false)),
                new StreamEvent.Completed());

        var decoder = new ResponsesStreamDecoder();
        var back = new ArrayList<StreamEvent>();
        for (SseEvent e : encoder.encode(new Frame(WireFormat.OPENAI_CHAT, null, sent))) back.addAll(decoder.decode(e));

        assertThat(back).containsExactly(new StreamEvent.Started("resp_rt", "m", 0), sent.get(1), sent.get(2), sent.get(3),
                sent.get(4), sent.get(5), sent.get(6), sent.get(7), sent.get(8));
        assertThat(decoder.complete()).isTrue();
    }

    private static LlmRequest request(String json) {
        return ResponsesCodec.decodeRequest((ObjectNode) Json.parse(json));
    }

    private static Frame typed(StreamEvent... events) {
        return Frame.of(WireFormat.OPENAI_CHAT, SseEvent.data("{}"), events);
    }

    private static Frame anthropic(StreamEvent... events) {
        return Frame.of(WireFormat.ANTHROPIC_MESSAGES, SseEvent.named("content_block_delta", "{}"), events);
    }

    /** The events parsed, each checked: valid for the SDK, SSE name equal to its type, numbered 0, 1, 2... */
    private static List<JsonNode> validSequence(List<SseEvent> out) {
        var events = new ArrayList<JsonNode>(out.size());
        for (SseEvent e : out) {
            validEvent(e);
            JsonNode n = Json.parse(e.data());
            assertThat(n.get("sequence_number").asLong()).as("sequence of %s", n.get("type")).isEqualTo(events.size());
            events.add(n);
        }
        return events;
    }

    private static void validEvent(SseEvent e) {
        JsonNode n = Json.parse(e.data());
        assertThat(e.event()).isEqualTo(n.get("type").asText());
        try {
            ObjectMappers.jsonMapper().readValue(e.data(), ResponseStreamEvent.class).validate();
        } catch (IOException ex) {
            throw new AssertionError(ex);
        }
    }

    private static Response finalResponse(JsonNode event) throws IOException {
        return ResponsesCodecTest.validResponse((ObjectNode) event.get("response"));
    }

    private static List<SseEvent> readAll(String transcript) throws IOException {
        var events = new ArrayList<SseEvent>();
        try (var reader = new SseReader(new ByteArrayInputStream(transcript.getBytes(StandardCharsets.UTF_8)))) {
            for (SseEvent e = reader.next(); e != null; e = reader.next()) events.add(e);
        }
        return events;
    }

    private static List<StreamEvent> decodeAll(ResponsesStreamDecoder decoder, String transcript) throws IOException {
        var events = new ArrayList<StreamEvent>();
        for (SseEvent e : readAll(transcript)) events.addAll(decoder.decode(e));
        return events;
    }
}
