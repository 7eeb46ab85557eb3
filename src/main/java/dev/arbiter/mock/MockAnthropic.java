package dev.arbiter.mock;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Anthropic Messages wire shapes for the fake upstream, written to raw JSON by hand, independently of Arbiter's
 * codecs (the request side is {@link MockAnthropicRequest}). One answer per request (Messages has no {@code n}):
 * a {@code thinking} block first when thinking is on (its text empty when the request set {@code display: omitted};
 * its {@code signature} a {@link MockSigner} token over the real text either way), then a text block or a single
 * {@code tool_use} block whose id is the engine's with the {@code toolu_} prefix Anthropic uses. Usage always carries
 * {@code cache_creation_input_tokens} and {@code cache_read_input_tokens}; {@code input_tokens} is the uncached rest.
 * Every field the API's schema requires is written, null where unused ({@code stop_details}, {@code container},
 * {@code usage.server_tool_use} and {@code inference_geo}), in messages,
 * {@code message_start}, content blocks and {@code message_delta}; an error body carries a {@code request_id}.
 */
final class MockAnthropic {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final byte[] PING = MockWire.sse("ping", "{\"type\":\"ping\"}");

    private MockAnthropic() {}

    static String toolId(MockAnswer.ToolCall call) {
        return "toolu_" + call.id().substring(call.id().indexOf('_') + 1);
    }

    /** A message's usage, with every field of the schema's Usage: cache writes all of the default 5-minute lifetime. */
    private static ObjectNode usage(MockAnthropicRequest req, MockPromptCache.Hit hit, long out) {
        ObjectNode u = counts(req, hit, out);
        u.putObject("cache_creation").put("ephemeral_1h_input_tokens", 0).put("ephemeral_5m_input_tokens", hit.writeTokens());
        u.putNull("server_tool_use");
        u.put("service_tier", "standard");
        u.putNull("inference_geo");
        return u;
    }

    /** {@code message_delta}'s usage (the schema's MessageDeltaUsage): the final counts. */
    private static ObjectNode deltaUsage(MockAnthropicRequest req, MockPromptCache.Hit hit, long out) {
        ObjectNode u = counts(req, hit, out);
        u.putNull("server_tool_use");
        return u;
    }

    private static ObjectNode counts(MockAnthropicRequest req, MockPromptCache.Hit hit, long out) {
        long uncached = Math.max(0, req.inputTokens() - hit.readTokens() - hit.writeTokens());
        return F.objectNode().put("input_tokens", uncached).put("cache_creation_input_tokens", hit.writeTokens())
                .put("cache_read_input_tokens", hit.readTokens()).put("output_tokens", out);
    }

    /** The fields every message has, before its usage; Anthropic's schema requires them, null when unused. */
    private static void tail(ObjectNode message, String stopReason) {
        message.put("stop_reason", stopReason);
        message.putNull("stop_sequence");
        message.putNull("stop_details");
        message.putNull("container");
    }

    private static String signature(MockAnthropicRequest req, MockAnswer.Alternative alt, MockSigner signer) {
        return signer.sign(MockSigner.Kind.THINKING, req.model(), alt.reasoningText());
    }

    static byte[] message(String id, MockAnthropicRequest req, MockAnswer a, MockPromptCache.Hit hit, MockSigner signer) {
        MockAnswer.Alternative alt = a.alternatives().getFirst();
        ObjectNode o = F.objectNode().put("id", id).put("type", "message").put("role", "assistant").put("model", req.model());
        ArrayNode content = o.putArray("content");
        if (alt.hasReasoning()) {
            content.addObject().put("type", "thinking").put("thinking", req.omitThinking() ? "" : alt.reasoningText())
                    .put("signature", signature(req, alt, signer));
        }
        content.add(answerBlock(alt, true));
        tail(o, alt.finish().anthropic());
        o.set("usage", usage(req, hit, alt.outputTokens()));
        return MockWire.bytes(o);
    }

    /** The text or tool_use block: complete, or as content_block_start shows it (empty text, empty input). */
    private static ObjectNode answerBlock(MockAnswer.Alternative alt, boolean complete) {
        ObjectNode block = F.objectNode();
        if (alt.isToolCall()) {
            block.put("type", "tool_use").put("id", toolId(alt.toolCall())).put("name", alt.toolCall().name());
            block.set("input", complete ? MockWire.parse(alt.toolCall().arguments()) : F.objectNode());
        } else {
            block.put("type", "text").put("text", complete ? alt.text() : "");
        }
        return block;
    }

    /**
     * The Messages stream: message_start; with thinking, content_block_start (thinking), ping, a thinking_delta per
     * reasoning token (none when display is omitted), signature_delta, content_block_stop; then content_block_start
     * (text or tool_use; ping after it when there was no thinking), one content_block_delta per token (text_delta or
     * input_json_delta), content_block_stop; message_delta (stop reason, usage), message_stop.
     */
    static MockUpstream.Script stream(String id, MockAnthropicRequest req, MockAnswer a, MockPromptCache.Hit hit,
                                      MockSigner signer) {
        MockAnswer.Alternative alt = a.alternatives().getFirst();
        var s = new MockScript();
        ObjectNode start = F.objectNode().put("type", "message_start");
        ObjectNode m = start.putObject("message").put("id", id).put("type", "message").put("role", "assistant")
                .put("model", req.model());
        m.putArray("content");
        tail(m, null);
        m.set("usage", usage(req, hit, 1));
        s.add(event("message_start", start));
        int index = 0;
        if (alt.hasReasoning()) {
            ObjectNode thinking = F.objectNode().put("type", "thinking").put("thinking", "").put("signature", "");
            s.add(event("content_block_start", blockEvent("content_block_start", index).set("content_block", thinking)));
            s.add(PING);
            for (String t : req.omitThinking() ? List.<String>of() : alt.reasoning()) {
                s.token(delta(index, F.objectNode().put("type", "thinking_delta").put("thinking", t)));
            }
            s.add(delta(index, F.objectNode().put("type", "signature_delta").put("signature", signature(req, alt, signer))));
            s.add(event("content_block_stop", blockEvent("content_block_stop", index++)));
        }
        s.add(event("content_block_start", blockEvent("content_block_start", index).set("content_block", answerBlock(alt, false))));
        if (index == 0) s.add(PING);
        for (String piece : alt.deltas()) {
            s.token(delta(index, alt.isToolCall() ? F.objectNode().put("type", "input_json_delta").put("partial_json", piece)
                    : F.objectNode().put("type", "text_delta").put("text", piece)));
        }
        s.add(event("content_block_stop", blockEvent("content_block_stop", index)));
        ObjectNode delta = F.objectNode().put("type", "message_delta");
        tail(delta.putObject("delta"), alt.finish().anthropic());
        delta.set("usage", deltaUsage(req, hit, alt.outputTokens()));
        s.add(event("message_delta", delta));
        s.add(event("message_stop", F.objectNode().put("type", "message_stop")));
        return s.malformed(MockWire.sse("content_block_delta",
                "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Mo"));
    }

    private static ObjectNode blockEvent(String type, int index) {
        return F.objectNode().put("type", type).put("index", index);
    }

    private static byte[] delta(int index, ObjectNode delta) {
        return event("content_block_delta", blockEvent("content_block_delta", index).set("delta", delta));
    }

    /** The answer of {@code /v1/messages/count_tokens}. */
    static byte[] countTokens(long inputTokens) {
        return MockWire.bytes(F.objectNode().put("input_tokens", inputTokens));
    }

    private static byte[] event(String name, ObjectNode data) {
        return MockWire.sse(name, data.toString());
    }

    static byte[] error(int status, String message) {
        String type = switch (status) {
            case 400, 422 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 529 -> "overloaded_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
        ObjectNode o = F.objectNode().put("type", "error");
        o.putObject("error").put("type", type).put("message", message);
        o.put("request_id", "req_mock" + java.util.UUID.randomUUID().toString().replace("-", ""));
        return MockWire.bytes(o);
    }
}
