package dev.arbiter.messages;

import dev.arbiter.wire.Json;
import dev.arbiter.wire.StreamDecoder;
import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.FinishReason;
import dev.arbiter.llm.SseEvent;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.Usage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes an Anthropic Messages event stream ({@code message_start}, then per content block
 * {@code content_block_start}/{@code _delta}/{@code _stop}, then {@code message_delta} and {@code message_stop},
 * with {@code ping}s anywhere) into typed events for one choice.
 *
 * <p>State: which kind of block each index holds, so that deltas are routed, and the ordinal of each
 * {@code tool_use} block among tool uses, which is the tool call index. Blocks the model does not type (server
 * tool use and its results, unknown types) are skipped; the raw frames still carry them to an Anthropic client.
 * Usage comes in two halves: input at {@code message_start}, output (and, from newer APIs, the final input
 * counts) at {@code message_delta}, where the merged usage is reported.
 */
public final class MessagesStreamDecoder implements StreamDecoder {
    private static final Logger log = LoggerFactory.getLogger(MessagesStreamDecoder.class);

    private enum Kind { TEXT, THINKING, TOOL_USE, OTHER }

    private record Block(Kind kind, int toolIndex) {}

    private final Map<Integer, Block> blocks = new HashMap<>();
    private int tools;
    private Usage startUsage = Usage.NONE;
    private boolean complete;

    @Override
    public List<StreamEvent> decode(SseEvent event) {
        if (event.data() == null) return List.of();
        JsonNode n = StreamDecoder.eventObject(event.data());
        String type = Json.text(n, "type");
        if (type == null) type = event.event() == null ? "" : event.event();
        return switch (type) {
            case "message_start" -> messageStart(n.path("message"));
            case "content_block_start" -> blockStart(n.path("index").asInt(), n.path("content_block"));
            case "content_block_delta" -> blockDelta(blocks.get(n.path("index").asInt()), n.path("delta"));
            case "message_delta" -> messageDelta(n);
            case "message_stop" -> {
                complete = true;
                yield List.of(new StreamEvent.Completed());
            }
            case "error" -> throw error(n.path("error"));
            default -> List.of();
        };
    }

    @Override
    public boolean complete() {
        return complete;
    }

    private List<StreamEvent> messageStart(JsonNode message) {
        startUsage = MessagesCodec.usage(message.path("usage"));
        return List.of(new StreamEvent.Started(Json.text(message, "id"), Json.text(message, "model"),
                startUsage.inputTokens()));
    }

    private List<StreamEvent> blockStart(int index, JsonNode block) {
        var out = new ArrayList<StreamEvent>(2);
        switch (String.valueOf(Json.text(block, "type"))) {
            case "text" -> {
                blocks.put(index, new Block(Kind.TEXT, -1));
                String text = Json.text(block, "text");
                if (text != null && !text.isEmpty()) out.add(new StreamEvent.TextDelta(0, text));
            }
            case "thinking" -> {
                blocks.put(index, new Block(Kind.THINKING, -1));
                String text = Json.text(block, "thinking");
                if (text != null && !text.isEmpty()) out.add(new StreamEvent.ReasoningDelta(0, text));
            }
            case "redacted_thinking" -> {
                blocks.put(index, new Block(Kind.OTHER, -1));
                out.add(new StreamEvent.RedactedReasoning(0, Json.text(block, "data")));
            }
            case "tool_use" -> {
                int tool = tools++;
                blocks.put(index, new Block(Kind.TOOL_USE, tool));
                out.add(new StreamEvent.ToolCallStarted(0, tool, Json.text(block, "id"), Json.text(block, "name"), false));
            }
            default -> blocks.put(index, new Block(Kind.OTHER, -1));
        }
        return out;
    }

    private List<StreamEvent> blockDelta(Block block, JsonNode delta) {
        String type = String.valueOf(Json.text(delta, "type"));
        String value = switch (type) {
            case "text_delta" -> Json.text(delta, "text");
            case "thinking_delta" -> Json.text(delta, "thinking");
            case "signature_delta" -> Json.text(delta, "signature");
            case "input_json_delta" -> Json.text(delta, "partial_json");
            default -> null;
        };
        if (value == null || value.isEmpty()) return List.of();
        return switch (type) {
            case "text_delta" -> List.of(new StreamEvent.TextDelta(0, value));
            case "thinking_delta" -> List.of(new StreamEvent.ReasoningDelta(0, value));
            case "signature_delta" -> List.of(new StreamEvent.ReasoningSignature(0, value));
            default -> block != null && block.kind() == Kind.TOOL_USE
                    ? List.of(new StreamEvent.ToolArgumentsDelta(0, block.toolIndex(), value))
                    : List.of();
        };
    }

    private List<StreamEvent> messageDelta(JsonNode n) {
        var out = new ArrayList<StreamEvent>(2);
        JsonNode delta = n.path("delta");
        String stop = Json.text(delta, "stop_reason");
        if (stop != null) {
            out.add(new StreamEvent.Finished(0, FinishReason.fromAnthropic(stop), Json.text(delta, "stop_sequence")));
        }
        JsonNode u = n.path("usage");
        if (u.isObject()) {
            Usage end = u.has("input_tokens") ? MessagesCodec.usage(u)
                    : new Usage(startUsage.inputTokens(), Json.longOr(u, "output_tokens", 0),
                            startUsage.cacheReadTokens(), startUsage.cacheWriteTokens(), 0, false);
            out.add(new StreamEvent.UsageReported(end));
        }
        return out;
    }

    /** An in-stream error, mapped by its type as Anthropic maps those types to HTTP statuses. */
    private static ArbiterException.Upstream error(JsonNode error) {
        String type = Json.text(error, "type");
        int status = switch (String.valueOf(type)) {
            case "overloaded_error" -> 529;
            case "rate_limit_error" -> 429;
            case "api_error" -> 500;
            default -> 502;
        };
        String message = String.valueOf(Json.text(error, "message"));
        log.warn("upstream stream error {}: {}", type, message.length() > 500 ? message.substring(0, 500) + "..." : message);
        return new ArbiterException.Upstream(status, "upstream reported " + type + " mid-stream",
                "upstream_stream_error", null);
    }
}
