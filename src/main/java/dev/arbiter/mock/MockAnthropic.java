package dev.arbiter.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.mock.MockEngine.Prompt;
import java.util.ArrayList;
import java.util.List;

/**
 * Anthropic Messages wire shapes for the fake upstream, read from and written to raw JSON by hand,
 * independently of Arbiter's codecs. One answer per request (Messages has no {@code n}); a tool call is a
 * single {@code tool_use} block whose id is the engine's with the {@code toolu_} prefix Anthropic uses.
 */
final class MockAnthropic {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final byte[] PING = MockUpstream.sse("ping", "{\"type\":\"ping\"}");

    private MockAnthropic() {}

    /** The prompt of a Messages body; throws {@link IllegalArgumentException} when it is not one. */
    static Prompt prompt(JsonNode body) {
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw new IllegalArgumentException("messages: must be a non-empty array");
        }
        JsonNode max = body.get("max_tokens");
        if (max == null || !max.canConvertToInt() || max.asInt() < 1) {
            throw new IllegalArgumentException("max_tokens: Field required (an integer >= 1)");
        }
        var text = new StringBuilder();
        appendText(text, body.get("system"));
        boolean afterTool = false;
        for (JsonNode m : messages) {
            JsonNode content = m.get("content");
            afterTool = false;
            if (content != null && content.isTextual()) text.append(content.asText());
            else if (content != null) {
                for (JsonNode block : content) {
                    String type = block.path("type").asText();
                    if ("text".equals(type) && block.path("text").isTextual()) text.append(block.get("text").asText());
                    if ("tool_result".equals(type)) {
                        afterTool = true;
                        appendText(text, block.get("content"));
                    }
                }
            }
        }
        var tools = new ArrayList<MockEngine.ToolSpec>();
        for (JsonNode t : body.path("tools")) {
            String type = t.path("type").asText("custom");
            if (t.path("name").isTextual() && ("custom".equals(type) || t.has("input_schema"))) {
                tools.add(new MockEngine.ToolSpec(t.get("name").asText(), t.get("input_schema")));
            }
        }
        JsonNode choice = body.path("tool_choice");
        String kind = choice.path("type").asText("auto");
        String named = "tool".equals(kind) && choice.path("name").isTextual() ? choice.get("name").asText() : null;
        return new Prompt(text.toString(), tools, !"none".equals(kind), named, afterTool, max.asInt(), 1);
    }

    private static void appendText(StringBuilder sb, JsonNode content) {
        if (content == null) return;
        if (content.isTextual()) sb.append(content.asText());
        for (JsonNode block : content) {
            if ("text".equals(block.path("type").asText()) && block.path("text").isTextual()) sb.append(block.get("text").asText());
        }
    }

    static String toolId(MockAnswer.ToolCall call) {
        return "toolu_" + call.id().substring(call.id().indexOf('_') + 1);
    }

    private static ObjectNode usage(long in, long out) {
        return F.objectNode().put("input_tokens", in).put("output_tokens", out);
    }

    static byte[] message(String id, String model, MockAnswer a) {
        MockAnswer.Alternative alt = a.alternatives().getFirst();
        ObjectNode o = F.objectNode().put("id", id).put("type", "message").put("role", "assistant").put("model", model);
        ObjectNode block = o.putArray("content").addObject();
        if (alt.isToolCall()) {
            block.put("type", "tool_use").put("id", toolId(alt.toolCall())).put("name", alt.toolCall().name());
            block.set("input", MockUpstream.parse(alt.toolCall().arguments()));
        } else {
            block.put("type", "text").put("text", alt.text());
        }
        o.put("stop_reason", alt.finish().anthropic());
        o.putNull("stop_sequence");
        o.set("usage", usage(a.inputTokens(), alt.outputTokens()));
        return MockUpstream.bytes(o);
    }

    /**
     * The Messages stream: message_start, content_block_start, ping, one content_block_delta per token
     * (text_delta or input_json_delta), content_block_stop, message_delta (stop reason, usage), message_stop.
     */
    static MockUpstream.Script stream(String id, String model, MockAnswer a) {
        MockAnswer.Alternative alt = a.alternatives().getFirst();
        return new MockUpstream.Script() {
            @Override
            public List<byte[]> head() {
                ObjectNode start = F.objectNode().put("type", "message_start");
                ObjectNode m = start.putObject("message").put("id", id).put("type", "message").put("role", "assistant")
                        .put("model", model);
                m.putArray("content");
                m.putNull("stop_reason");
                m.putNull("stop_sequence");
                m.set("usage", usage(a.inputTokens(), 1));
                ObjectNode blockStart = F.objectNode().put("type", "content_block_start").put("index", 0);
                ObjectNode block = blockStart.putObject("content_block");
                if (alt.isToolCall()) {
                    block.put("type", "tool_use").put("id", toolId(alt.toolCall())).put("name", alt.toolCall().name());
                    block.putObject("input");
                } else {
                    block.put("type", "text").put("text", "");
                }
                return List.of(event("message_start", start), event("content_block_start", blockStart), PING);
            }

            @Override
            public int steps() {
                return alt.deltas().size();
            }

            @Override
            public List<byte[]> step(int s) {
                ObjectNode e = F.objectNode().put("type", "content_block_delta").put("index", 0);
                if (alt.isToolCall()) e.putObject("delta").put("type", "input_json_delta").put("partial_json", alt.deltas().get(s));
                else e.putObject("delta").put("type", "text_delta").put("text", alt.deltas().get(s));
                return List.of(event("content_block_delta", e));
            }

            @Override
            public List<byte[]> tail() {
                ObjectNode stop = F.objectNode().put("type", "content_block_stop").put("index", 0);
                ObjectNode delta = F.objectNode().put("type", "message_delta");
                delta.putObject("delta").put("stop_reason", alt.finish().anthropic()).putNull("stop_sequence");
                delta.putObject("usage").put("output_tokens", alt.outputTokens());
                return List.of(event("content_block_stop", stop), event("message_delta", delta),
                        event("message_stop", F.objectNode().put("type", "message_stop")));
            }

            @Override
            public byte[] malformed() {
                return MockUpstream.sse("content_block_delta",
                        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Mo");
            }
        };
    }

    private static byte[] event(String name, ObjectNode data) {
        return MockUpstream.sse(name, data.toString());
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
        return MockUpstream.bytes(o);
    }
}
