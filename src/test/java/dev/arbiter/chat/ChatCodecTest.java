package dev.arbiter.chat;

import dev.arbiter.wire.Json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.FinishReason;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.SseEvent;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.ToolChoice;
import dev.arbiter.llm.Usage;
import dev.arbiter.llm.WireFormat;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChatCodecTest {
    private static ObjectNode json(String s) {
        return (ObjectNode) Json.parse(s);
    }

    @Test
    void decodeRequest_agentStyleRequest_keepsTypedFieldsAndExtras() {
        var req = ChatCodec.decodeRequest(json("""
                {"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},
                 "messages":[{"role":"developer","content":"be brief"},
                   {"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"https://x/y.png","detail":"low"}}]},
                   {"role":"assistant","content":null,"reasoning_content":"thinking","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\\"a\\":1}"}}]},
                   {"role":"tool","tool_call_id":"c1","content":"42"}],
                 "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"},"strict":true}}],
                 "tool_choice":{"type":"function","function":{"name":"f"}},
                 "max_completion_tokens":100,"seed":7,"logprobs":true,"prompt_cache_key":"k","reasoning_effort":"low"}"""));
        assertThat(req.model()).isEqualTo("gpt-4o");
        assertThat(req.stream()).isTrue();
        assertThat(req.includeUsage()).isTrue();
        assertThat(req.messages()).extracting(m -> m.role()).containsExactly(Role.DEVELOPER, Role.USER, Role.ASSISTANT, Role.TOOL);
        assertThat(req.messages().get(1).parts()).hasSize(2).element(1).isInstanceOf(Part.Image.class);
        var assistant = req.messages().get(2);
        assertThat(assistant.parts().getFirst()).isInstanceOf(Part.Reasoning.class);
        assertThat(assistant.parts(Part.ToolCall.class)).singleElement().satisfies(c -> {
            assertThat(c.id()).isEqualTo("c1");
            assertThat(c.arguments()).isEqualTo("{\"a\":1}");
        });
        assertThat(req.messages().get(3).parts(Part.ToolResult.class)).singleElement()
                .satisfies(r -> assertThat(r.text()).isEqualTo("42"));
        assertThat(req.tools()).singleElement().satisfies(t -> assertThat(t.strict()).isTrue());
        assertThat(req.toolChoice()).isEqualTo(new ToolChoice.Named("f"));
        assertThat(req.maxTokens()).isEqualTo(100);
        assertThat(req.reasoningEffort()).isEqualTo("low");
        assertThat(req.extra().fieldNames()).toIterable().containsExactlyInAnyOrder("seed", "logprobs", "prompt_cache_key");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|model|Missing required parameter: 'model'.",
            "{\"model\":1,\"messages\":[]}|model|Invalid type for 'model': expected a string, but got an integer instead.",
            "{\"model\":\"m\"}|messages|Missing required parameter: 'messages'.",
            "{\"model\":\"m\",\"messages\":[]}|messages|expected an array with minimum length 1",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}|messages[0].role|'wizard' is not one of",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":5}]}|messages[0].content|expected one of a string or an array of objects, but got an integer",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":\"hot\"}|temperature|expected a number, but got a string",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":7}|temperature|expected a number from 0.0 to 2.0",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0}|max_tokens|expected an integer >= 1",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}|messages[0].tool_call_id|Missing required parameter",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":\"yes\"}|stream|expected a boolean",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}]}|messages[0].content[0].type|Missing required parameter",
    })
    void decodeRequest_badInput_preciseErrorNamingTheField(String body, String param, String message) {
        assertThatThrownBy(() -> ChatCodec.decodeRequest(json(body)))
                .isInstanceOfSatisfying(ArbiterException.BadRequest.class, e -> {
                    assertThat(e.param()).isEqualTo(param);
                    assertThat(e.getMessage()).contains(message);
                });
    }

    @Test
    void encodeRequest_fromAnotherFormat_toolResultsBeforeUserTextAndReasoningAsField() {
        var req = ChatCodec.decodeRequest(json("""
                {"model":"m","messages":[{"role":"system","content":"sys"},{"role":"user","content":"q"},
                 {"role":"assistant","content":"","reasoning_content":"because","tool_calls":[
                   {"id":"a","type":"function","function":{"name":"f","arguments":"{}"}},
                   {"id":"b","type":"custom","custom":{"name":"apply_patch","input":"*** Begin Patch"}}]},
                 {"role":"tool","tool_call_id":"a","content":"1"}],
                 "tools":[{"type":"custom","custom":{"name":"apply_patch"}}],"stream":true}"""));
        ObjectNode out = ChatCodec.encodeRequest(req.toBuilder().raw(null).build(), "up");
        assertThat(out.get("model").asText()).isEqualTo("up");
        JsonNode assistant = out.get("messages").get(2);
        assertThat(assistant.get("reasoning_content").asText()).isEqualTo("because");
        assertThat(assistant.get("content").isNull()).isTrue();
        assertThat(assistant.get("tool_calls").get(1).get("function").get("arguments").asText())
                .isEqualTo("{\"input\":\"*** Begin Patch\"}");
        assertThat(out.get("messages").get(3).get("role").asText()).isEqualTo("tool");
        assertThat(out.get("tools").get(0).get("function").get("parameters").get("required").get(0).asText()).isEqualTo("input");
        assertThat(out.get("stream_options").get("include_usage").asBoolean()).isTrue();
    }

    @Test
    void decodeResponse_readsUsageDetailsReasoningAndToolCalls() {
        var r = ChatResponses.decode(json("""
                {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,
                 "message":{"role":"assistant","content":null,"reasoning":"r","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},
                 "finish_reason":"tool_calls"}],
                 "usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,
                  "prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}}"""));
        assertThat(r.usage()).isEqualTo(new Usage(10, 5, 4, 0, 2, false));
        assertThat(r.choices().getFirst().finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
        assertThat(r.firstMessage().parts()).hasSize(2);
        assertThat(ChatResponses.encode(r, "m")).isSameAs(r.raw());
        var typed = ChatResponses.encode(new dev.arbiter.llm.LlmResponse(r.id(), r.model(), r.created(), r.choices(), r.usage(),
                WireFormat.ANTHROPIC_MESSAGES, null), "m");
        assertThat(typed.get("choices").get(0).get("message").get("tool_calls").get(0).get("id").asText()).isEqualTo("c");
        assertThat(typed.get("usage").get("prompt_tokens_details").get("cached_tokens").asLong()).isEqualTo(4);
    }

    @Test
    void streamDecoder_chunks_typedEventsAndCompletion() {
        var d = new ChatStreamDecoder();
        var events = new ArrayList<StreamEvent>();
        for (String data : List.of(
                "{\"id\":\"x\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}",
                "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hmm\"}}]}",
                "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}",
                "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}",
                "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\"\"}}]}}]}",
                "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}",
                "{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}",
                "[DONE]")) {
            events.addAll(d.decode(SseEvent.data(data)));
        }
        assertThat(d.complete()).isTrue();
        assertThat(events).containsExactly(
                new StreamEvent.Started("x", "m", 0),
                new StreamEvent.ReasoningDelta(0, "hmm"),
                new StreamEvent.TextDelta(0, "Hi"),
                new StreamEvent.ToolCallStarted(0, 0, "c", "f", false),
                new StreamEvent.ToolArgumentsDelta(0, 0, "{\"a\""),
                new StreamEvent.Finished(0, FinishReason.TOOL_CALLS, null),
                new StreamEvent.UsageReported(Usage.of(3, 4)),
                new StreamEvent.Completed());
    }

    @Test
    void streamDecoder_notJson_upstreamError() {
        assertThatThrownBy(() -> new ChatStreamDecoder().decode(SseEvent.data("{oops")))
                .isInstanceOfSatisfying(ArbiterException.Upstream.class, e -> assertThat(e.status()).isEqualTo(502));
    }

    @Test
    void streamEncoder_passThrough_dropsInjectedUsageChunkUnlessAsked() {
        var usageChunk = SseEvent.data("{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}");
        var frame = new Frame(WireFormat.OPENAI_CHAT, usageChunk, List.of(new StreamEvent.UsageReported(Usage.of(1, 1))));
        assertThat(new ChatStreamEncoder("x", "m", false, false).encode(frame)).isEmpty();
        assertThat(new ChatStreamEncoder("x", "m", true, false).encode(frame)).containsExactly(usageChunk);
    }

    @Test
    void streamEncoder_typedEvents_chunksThenUsageThenDone() {
        var enc = new ChatStreamEncoder("abc", "m", true, false);
        var out = new ArrayList<SseEvent>();
        out.addAll(enc.encode(new Frame(WireFormat.ANTHROPIC_MESSAGES, null, List.of(
                new StreamEvent.Started("abc", "m", 5), new StreamEvent.TextDelta(0, "Hel"), new StreamEvent.TextDelta(0, "lo"),
                new StreamEvent.Finished(0, FinishReason.STOP, null), new StreamEvent.UsageReported(Usage.of(5, 2))))));
        out.addAll(enc.finish());
        assertThat(out.getLast().data()).isEqualTo("[DONE]");
        JsonNode usage = Json.parse(out.get(out.size() - 2).data());
        assertThat(usage.get("usage").get("completion_tokens").asInt()).isEqualTo(2);
        assertThat(Json.parse(out.getFirst().data()).get("choices").get(0).get("delta").get("role").asText()).isEqualTo("assistant");
        var text = new StringBuilder();
        for (SseEvent e : out) {
            if (e.data().startsWith("{")) {
                JsonNode c = Json.parse(e.data()).path("choices").path(0).path("delta").path("content");
                if (c.isTextual()) text.append(c.asText());
            }
        }
        assertThat(text.toString()).isEqualTo("Hello");
        assertThat(enc.finish()).isEmpty();
    }
}
