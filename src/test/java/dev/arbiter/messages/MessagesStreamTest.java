package dev.arbiter.messages;

import dev.arbiter.wire.Json;
import dev.arbiter.wire.SseReader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.core.ObjectMappers;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.FinishReason;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.SseEvent;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.Usage;
import dev.arbiter.llm.WireFormat;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MessagesStreamTest {
    /** Shaped as the Messages API streams a thinking block, text and a tool call, pings included. */
    private static final String TRANSCRIPT = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_01Xq","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":1}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

            event: ping
            data: {"type": "ping"}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"The user wants a file read."}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9G"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: content_block_start
            data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"I'll read it."}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":1}

            event: content_block_start
            data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01T1","name":"Read","input":{}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\\"file_path\\": "}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"\\"/tmp/x.txt\\"}"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":2}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

            event: message_stop
            data: {"type":"message_stop"}

            """;

    @Test
    void decode_realisticTranscript_typedEventsInOrder() throws IOException {
        var decoder = new MessagesStreamDecoder();

        List<StreamEvent> events = decodeAll(decoder, TRANSCRIPT);

        assertThat(events).containsExactly(
                new StreamEvent.Started("msg_01Xq", "claude-sonnet-4-5-20250929", 2112),
                new StreamEvent.ReasoningDelta(0, "The user wants a file read."),
                new StreamEvent.ReasoningSignature(0, "EqQBCgIYAhIM1gbcDa9G"),
                new StreamEvent.TextDelta(0, "I'll read it."),
                new StreamEvent.ToolCallStarted(0, 0, "toolu_01T1", "Read", false),
                new StreamEvent.ToolArgumentsDelta(0, 0, "{\"file_path\": "),
                new StreamEvent.ToolArgumentsDelta(0, 0, "\"/tmp/x.txt\"}"),
                new StreamEvent.Finished(0, FinishReason.TOOL_CALLS, null),
                new StreamEvent.UsageReported(new Usage(2112, 89, 2000, 100, 0, false)),
                new StreamEvent.Completed());
        assertThat(decoder.complete()).isTrue();
    }

    @Test
    void decode_messageDeltaWithCumulativeInput_reportsItsOwnCounts() {
        var decoder = new MessagesStreamDecoder();
        decoder.decode(SseEvent.named("message_start", """
                {"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":5,"output_tokens":1}}}"""));

        List<StreamEvent> events = decoder.decode(SseEvent.named("message_delta", """
                {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},
                 "usage":{"input_tokens":7,"cache_read_input_tokens":3,"cache_creation_input_tokens":0,"output_tokens":4}}"""));

        assertThat(events).containsExactly(new StreamEvent.Finished(0, FinishReason.STOP, null),
                new StreamEvent.UsageReported(new Usage(10, 4, 3, 0, 0, false)));
    }

    @Test
    void decode_serverToolBlocks_skippedAndToolOrdinalsCountOnlyToolUse() {
        var decoder = new MessagesStreamDecoder();
        decoder.decode(SseEvent.named("content_block_start", """
                {"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}}"""));
        assertThat(decoder.decode(SseEvent.named("content_block_delta", """
                {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\\"query\\":\\"x\\"}"}}""")))
                .isEmpty();

        assertThat(decoder.decode(SseEvent.named("content_block_start", """
                {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_9","name":"f","input":{}}}""")))
                .containsExactly(new StreamEvent.ToolCallStarted(0, 0, "toolu_9", "f", false));
    }

    @Test
    void decode_truncatedTranscript_notComplete() throws IOException {
        var decoder = new MessagesStreamDecoder();

        decodeAll(decoder, TRANSCRIPT.substring(0, TRANSCRIPT.indexOf("event: message_delta")));

        assertThat(decoder.complete()).isFalse();
    }

    @ParameterizedTest
    @CsvSource({"overloaded_error,529", "rate_limit_error,429", "api_error,500", "invalid_request_error,502"})
    void decode_errorEvent_upstreamExceptionWithMappedStatus(String type, int status) {
        var decoder = new MessagesStreamDecoder();
        var error = SseEvent.named("error", "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"Overloaded\"}}");

        assertThatThrownBy(() -> decoder.decode(error))
                .isInstanceOfSatisfying(ArbiterException.Upstream.class, e -> {
                    assertThat(e.status()).isEqualTo(status);
                    assertThat(e.getMessage()).contains(type).doesNotContain("Overloaded");
                });
    }

    @Test
    void decode_dataNotJson_upstreamBadResponse() {
        var decoder = new MessagesStreamDecoder();

        assertThatThrownBy(() -> decoder.decode(SseEvent.named("content_block_delta", "{\"type\":\"content_blo")))
                .isInstanceOfSatisfying(ArbiterException.Upstream.class, e -> {
                    assertThat(e.status()).isEqualTo(502);
                    assertThat(e.code()).isEqualTo("upstream_bad_response");
                });
    }

    @Test
    void encode_typedEventsFromChatUpstream_exactAnthropicSequence() throws Exception {
        var encoder = new MessagesStreamEncoder("claude-alias", "msg_arb1", 42);
        var out = new ArrayList<SseEvent>();

        out.addAll(encoder.encode(typed(new StreamEvent.Started("chatcmpl-1", "gpt-4o", 0), new StreamEvent.TextDelta(0, ""))));
        out.addAll(encoder.encode(typed(new StreamEvent.ReasoningDelta(0, "Think."), new StreamEvent.ReasoningSignature(0, "sig1"))));
        out.addAll(encoder.encode(typed(new StreamEvent.TextDelta(0, "Hello"), new StreamEvent.TextDelta(0, " world"))));
        out.addAll(encoder.encode(typed(new StreamEvent.TextDelta(1, "other choice"))));
        out.addAll(encoder.encode(typed(new StreamEvent.ToolCallStarted(0, 0, "call_1", "get_weather", false),
                new StreamEvent.ToolArgumentsDelta(0, 0, "{\"city\""), new StreamEvent.ToolArgumentsDelta(0, 0, ":\"Paris\"}"))));
        out.addAll(encoder.encode(typed(new StreamEvent.ToolCallStarted(0, 1, "call_2", "get_weather", false),
                new StreamEvent.ToolArgumentsDelta(0, 1, "{\"city\":\"Rome\"}"))));
        List<SseEvent> atFinish = encoder.encode(typed(new StreamEvent.Finished(0, FinishReason.TOOL_CALLS, null)));
        out.addAll(atFinish);
        List<SseEvent> atUsage = encoder.encode(typed(new StreamEvent.UsageReported(new Usage(50, 20, 10, 0, 0, false))));
        out.addAll(atUsage);
        out.addAll(encoder.encode(typed(new StreamEvent.Completed())));

        assertThat(out).extracting(SseEvent::event).containsExactly(
                "message_start",
                "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_stop",
                "message_delta", "message_stop");
        assertThat(atFinish).extracting(SseEvent::event).containsExactly("content_block_stop");
        assertThat(atUsage).extracting(SseEvent::event).containsExactly("message_delta");
        for (SseEvent e : out) {
            assertThat(json(e).get("type").asText()).isEqualTo(e.event());
            ObjectMappers.jsonMapper().readValue(e.data(), RawMessageStreamEvent.class).validate();
        }
        JsonNode start = json(out.getFirst()).get("message");
        assertThat(start.get("id").asText()).isEqualTo("msg_arb1");
        assertThat(start.get("model").asText()).isEqualTo("claude-alias");
        assertThat(start.get("usage").get("input_tokens").asLong()).isEqualTo(42);
        assertThat(out.subList(1, 16)).extracting(e -> json(e).path("index").asInt())
                .containsExactly(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3);
        assertThat(json(out.get(3)).get("delta")).isEqualTo(Json.parse("{\"type\":\"signature_delta\",\"signature\":\"sig1\"}"));
        assertThat(MessagesCodecTest.wire(json(out.get(16)))).isEqualTo(Json.parse("""
                {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null,"stop_details":null,"container":null},
                 "usage":{"input_tokens":40,"cache_creation_input_tokens":0,"cache_read_input_tokens":10,"output_tokens":20,
                          "server_tool_use":null}}"""));
        assertThat(encoder.finish()).isEmpty();
    }

    @Test
    void encode_thenDecode_givesTheTypedEventsBack() {
        var encoder = new MessagesStreamEncoder("m", "msg_1", 7);
        List<StreamEvent> sent = List.of(
                new StreamEvent.Started("x", "m", 30),
                new StreamEvent.TextDelta(0, "Hi"),
                new StreamEvent.RedactedReasoning(0, "opaque"),
                new StreamEvent.ToolCallStarted(0, 0, "call_1", "f", false),
                new StreamEvent.ToolArgumentsDelta(0, 0, "{}"),
                new StreamEvent.Finished(0, FinishReason.TOOL_CALLS, null),
                new StreamEvent.UsageReported(new Usage(30, 3, 0, 0, 0, false)),
                new StreamEvent.Completed());

        var decoder = new MessagesStreamDecoder();
        var back = new ArrayList<StreamEvent>();
        for (SseEvent e : encoder.encode(new Frame(WireFormat.OPENAI_RESPONSES, null, sent))) back.addAll(decoder.decode(e));

        assertThat(back).containsExactly(new StreamEvent.Started("msg_1", "m", 30), sent.get(1), sent.get(2), sent.get(3),
                sent.get(4), sent.get(5), sent.get(6), sent.get(7));
        assertThat(decoder.complete()).isTrue();
    }

    @Test
    void encode_customToolInput_streamsItAsInputJson() {
        var encoder = new MessagesStreamEncoder("m", "msg_1", 7);
        List<SseEvent> out = encoder.encode(typed(new StreamEvent.ToolCallStarted(0, 0, "call_p", "apply_patch", true),
                new StreamEvent.ToolArgumentsDelta(0, 0, "*** Begin \"Patch\"\n"), new StreamEvent.ToolArgumentsDelta(0, 0, "+x"),
                new StreamEvent.Completed()));

        var partial = new StringBuilder();
        for (SseEvent e : out) {
            JsonNode delta = json(e).path("delta");
            if ("input_json_delta".equals(Json.text(delta, "type"))) partial.append(delta.get("partial_json").asText());
        }
        assertThat(Json.parse(partial.toString())).isEqualTo(Json.parse("{\"input\":\"*** Begin \\\"Patch\\\"\\n+x\"}"));
    }

    @Test
    void encode_completedWithoutUsageOrContent_stillAWholeMessage() {
        var encoder = new MessagesStreamEncoder("m", "msg_1", 7);

        List<SseEvent> out = encoder.encode(typed(new StreamEvent.Finished(0, FinishReason.STOP, null)));
        out = new ArrayList<>(out);
        out.addAll(encoder.finish());

        assertThat(out).extracting(SseEvent::event).containsExactly("message_start", "message_delta", "message_stop");
        assertThat(json(out.get(0)).at("/message/usage/input_tokens").asLong()).isEqualTo(7);
        assertThat(json(out.get(1)).at("/usage/output_tokens").asLong()).isZero();
        assertThat(encoder.finish()).isEmpty();
    }

    @Test
    void encode_anthropicFrames_passedThroughAsTheyCame() throws IOException {
        var encoder = new MessagesStreamEncoder("m", "msg_1", 7);
        var decoder = new MessagesStreamDecoder();
        var out = new ArrayList<SseEvent>();
        var in = new ArrayList<SseEvent>();
        try (var reader = new SseReader(new ByteArrayInputStream(TRANSCRIPT.getBytes(StandardCharsets.UTF_8)))) {
            for (SseEvent e = reader.next(); e != null; e = reader.next()) {
                in.add(e);
                out.addAll(encoder.encode(new Frame(WireFormat.ANTHROPIC_MESSAGES, e, decoder.decode(e))));
            }
        }

        assertThat(out).isEqualTo(in);
        assertThat(encoder.finish()).isEmpty();
    }

    @Test
    void error_afterStart_anthropicErrorEventAndNothingMore() {
        var encoder = new MessagesStreamEncoder("m", "msg_1", 7);
        encoder.encode(typed(new StreamEvent.TextDelta(0, "partial")));

        List<SseEvent> out = encoder.error(new ArbiterException.Upstream(529, "upstream anthropic is overloaded (HTTP 529)",
                "upstream_http_529", null));

        assertThat(out).singleElement().satisfies(e -> {
            assertThat(e.event()).isEqualTo("error");
            assertThat(json(e)).isEqualTo(Json.parse("""
                    {"type":"error","error":{"type":"overloaded_error","message":"upstream anthropic is overloaded (HTTP 529)"}}"""));
        });
        assertThat(encoder.finish()).isEmpty();
        assertThat(encoder.keepAlive()).isEqualTo(SseEvent.named("ping", "{\"type\":\"ping\"}"));
    }

    private static List<StreamEvent> decodeAll(MessagesStreamDecoder decoder, String transcript) throws IOException {
        var events = new ArrayList<StreamEvent>();
        try (var reader = new SseReader(new ByteArrayInputStream(transcript.getBytes(StandardCharsets.UTF_8)))) {
            for (SseEvent e = reader.next(); e != null; e = reader.next()) events.addAll(decoder.decode(e));
        }
        return events;
    }

    @Test
    void keepAlive_beforeMessageStart_isACommentThenPings() {
        var encoder = new MessagesStreamEncoder("m", "msg_1", 7);
        assertThat(encoder.keepAlive().event()).isNull();
        assertThat(encoder.keepAlive().comment()).isNotNull();
        encoder.encode(typed(new StreamEvent.Started("x", "m", 30)));
        assertThat(encoder.keepAlive().event()).isEqualTo("ping");
    }

    private static Frame typed(StreamEvent... events) {
        return Frame.of(WireFormat.OPENAI_CHAT, SseEvent.data("{}"), events);
    }

    private static JsonNode json(SseEvent e) {
        return Json.parse(e.data());
    }
}
