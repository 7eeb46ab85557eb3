package dev.arbiter.messages;

import dev.arbiter.wire.Json;
import dev.arbiter.wire.StreamEncoder;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.ErrorKind;
import dev.arbiter.llm.FinishReason;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.SseEvent;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.Usage;
import dev.arbiter.llm.WireFormat;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes a streamed answer as Anthropic Messages events, for a client that spoke Anthropic. Frames from an
 * Anthropic upstream pass through as they came; any other upstream's typed events drive a state machine that
 * emits exactly Anthropic's sequence:
 *
 * <pre>
 * message_start
 * (content_block_start content_block_delta* content_block_stop)*   indexes 0, 1, 2...
 * message_delta                                                     stop reason and usage
 * message_stop
 * </pre>
 *
 * <p>Invariants: {@code message_start} precedes everything, with non-zero input tokens (the upstream's count,
 * else Arbiter's estimate); at most one block is open, and a delta of another kind closes it; a thinking block
 * closes at its signature; {@code message_delta} is sent once, as soon as both the finish reason and the usage
 * are known (an OpenAI upstream sends usage in a chunk after the finish) or else at completion; nothing follows
 * {@code message_stop} or an error. Only choice 0 is encoded. Tool calls are assumed to stream one after another,
 * as every upstream does: argument deltas for a tool call other than the open one are dropped. A freeform tool's
 * raw input travels as {@code {"input": "<text>"}}, matching the tool's declared schema.
 */
public final class MessagesStreamEncoder implements StreamEncoder {
    private enum Open { NONE, TEXT, THINKING, REDACTED, TOOL }

    private final String model;
    private final String messageId;
    private final java.util.function.LongSupplier estimatedInputTokens;

    private boolean started;
    private boolean passthrough;
    private boolean deltaSent;
    private boolean stopped;
    private Open open = Open.NONE;
    private int openIndex = -1;
    private int openTool = -1;
    private boolean openToolCustom;
    private boolean finished;
    private FinishReason reason = FinishReason.STOP;
    private String stopSequence;
    private Usage usage;

    /**
     * @param model the model name the client asked for
     * @param messageId the id to give the message, {@code msg_...}
     * @param estimatedInputTokens Arbiter's count of the prompt, shown until the upstream gives its own
     */
    public MessagesStreamEncoder(String model, String messageId, long estimatedInputTokens) {
        this(model, messageId, () -> estimatedInputTokens);
    }

    /**
     * As above, counting the prompt only if a {@code message_start} must be made here: a pass-through stream
     * carries the upstream's own, and tokenizing an agent's whole conversation costs milliseconds.
     */
    public MessagesStreamEncoder(String model, String messageId, java.util.function.LongSupplier estimatedInputTokens) {
        this.model = model;
        this.messageId = messageId;
        this.estimatedInputTokens = estimatedInputTokens;
    }

    @Override
    public List<SseEvent> encode(Frame frame) {
        if (frame.format() == WireFormat.ANTHROPIC_MESSAGES && frame.raw() != null) {
            passthrough = true;
            started = true;
            if (isMessageStop(frame.raw())) stopped = true;
            return List.of(frame.raw());
        }
        var out = new ArrayList<SseEvent>();
        for (StreamEvent e : frame.events()) on(e, out);
        return out;
    }

    @Override
    public List<SseEvent> finish() {
        if (stopped) return List.of();
        var out = new ArrayList<SseEvent>();
        if (passthrough) {
            stopped = true;
            out.add(event("message_stop"));
        } else {
            complete(out);
        }
        return out;
    }

    @Override
    public List<SseEvent> error(ArbiterException e) {
        stopped = true;
        ObjectNode json = Json.object().put("type", "error");
        json.putObject("error").put("type", ErrorKind.of(e).anthropicType()).put("message", e.getMessage());
        return List.of(SseEvent.named("error", Json.string(json)));
    }

    /**
     * Anthropic's {@code ping} once {@code message_start} is out; before it an SSE comment, since a client may take
     * the first event for the message's start (Anthropic's API never sends a ping first).
     */
    @Override
    public SseEvent keepAlive() {
        return started ? SseEvent.named("ping", "{\"type\":\"ping\"}") : SseEvent.comment(" keep-alive");
    }

    private void on(StreamEvent e, List<SseEvent> out) {
        if (stopped) return;
        switch (e) {
            case StreamEvent.Started s -> start(s.inputTokens(), out);
            case StreamEvent.TextDelta t when t.choice() == 0 && !t.text().isEmpty() -> {
                open(Open.TEXT, MessagesBlocks.textBlock(""), out);
                delta(block("text_delta").put("text", t.text()), out);
            }
            case StreamEvent.ReasoningDelta r when r.choice() == 0 && !r.text().isEmpty() -> {
                open(Open.THINKING, thinkingBlock(), out);
                delta(block("thinking_delta").put("thinking", r.text()), out);
            }
            case StreamEvent.ReasoningSignature s when s.choice() == 0 -> {
                open(Open.THINKING, thinkingBlock(), out);
                delta(block("signature_delta").put("signature", s.signature()), out);
                close(out);
            }
            case StreamEvent.RedactedReasoning r when r.choice() == 0 -> {
                open(Open.REDACTED, block("redacted_thinking").put("data", r.data()), out);
                close(out);
            }
            case StreamEvent.ToolCallStarted t when t.choice() == 0 -> {
                String id = t.id() != null ? t.id() : "toolu_" + messageId.replaceFirst("^msg_", "") + "_" + t.index();
                ObjectNode b = block("tool_use").put("id", id).put("name", t.name());
                b.putObject("input");
                open(Open.TOOL, b, out);
                openTool = t.index();
                openToolCustom = t.custom();
                if (t.custom()) delta(block("input_json_delta").put("partial_json", "{\"input\":\""), out);
            }
            case StreamEvent.ToolArgumentsDelta a when a.choice() == 0 && open == Open.TOOL && a.index() == openTool
                    && !a.fragment().isEmpty() -> {
                String json = openToolCustom ? new String(JsonStringEncoder.getInstance().quoteAsString(a.fragment()))
                        : a.fragment();
                delta(block("input_json_delta").put("partial_json", json), out);
            }
            case StreamEvent.Finished f when f.choice() == 0 -> {
                start(0, out);
                close(out);
                finished = true;
                reason = f.reason() == null ? FinishReason.STOP : f.reason();
                stopSequence = f.stopSequence();
                if (usage != null) messageDelta(out);
            }
            case StreamEvent.UsageReported u -> {
                usage = u.usage();
                if (finished) messageDelta(out);
            }
            case StreamEvent.Completed c -> complete(out);
            default -> { }
        }
    }

    private void start(long inputTokens, List<SseEvent> out) {
        if (started) return;
        started = true;
        ObjectNode message = Json.object().put("id", messageId).put("type", "message").put("role", "assistant")
                .put("model", model);
        message.putArray("content");
        message.putNull("stop_reason");
        message.putNull("stop_sequence");
        message.putNull("stop_details");
        message.putNull("container");
        message.set("usage", MessagesCodec.usageJson(Usage.of(inputTokens > 0 ? inputTokens : estimatedInputTokens.getAsLong(), 1)));
        ObjectNode json = Json.object().put("type", "message_start");
        json.set("message", message);
        out.add(SseEvent.named("message_start", Json.string(json)));
    }

    /** Opens a block of {@code kind} unless a text or thinking block of that kind is open to continue. */
    private void open(Open kind, ObjectNode contentBlock, List<SseEvent> out) {
        start(0, out);
        if (open == kind && (kind == Open.TEXT || kind == Open.THINKING)) return;
        close(out);
        openIndex++;
        open = kind;
        ObjectNode json = Json.object().put("type", "content_block_start").put("index", openIndex);
        json.set("content_block", contentBlock);
        out.add(SseEvent.named("content_block_start", Json.string(json)));
    }

    private void close(List<SseEvent> out) {
        if (open == Open.NONE) return;
        if (open == Open.TOOL && openToolCustom) delta(block("input_json_delta").put("partial_json", "\"}"), out);
        open = Open.NONE;
        openToolCustom = false;
        out.add(SseEvent.named("content_block_stop",
                Json.string(Json.object().put("type", "content_block_stop").put("index", openIndex))));
    }

    private void delta(ObjectNode delta, List<SseEvent> out) {
        ObjectNode json = Json.object().put("type", "content_block_delta").put("index", openIndex);
        json.set("delta", delta);
        out.add(SseEvent.named("content_block_delta", Json.string(json)));
    }

    private void messageDelta(List<SseEvent> out) {
        if (deltaSent) return;
        deltaSent = true;
        ObjectNode json = Json.object().put("type", "message_delta");
        ObjectNode delta = json.putObject("delta").put("stop_reason", reason.toAnthropic()).put("stop_sequence", stopSequence);
        delta.set("stop_details", MessagesCodec.stopDetails(reason));
        delta.putNull("container");
        json.set("usage", MessagesCodec.deltaUsageJson(usage));
        out.add(SseEvent.named("message_delta", Json.string(json)));
    }

    private void complete(List<SseEvent> out) {
        start(0, out);
        close(out);
        messageDelta(out);
        out.add(event("message_stop"));
        stopped = true;
    }

    private static ObjectNode thinkingBlock() {
        return block("thinking").put("thinking", "").put("signature", "");
    }

    private static ObjectNode block(String type) {
        return Json.object().put("type", type);
    }

    private static SseEvent event(String type) {
        return SseEvent.named(type, "{\"type\":\"" + type + "\"}");
    }

    private static boolean isMessageStop(SseEvent raw) {
        if (raw.event() != null) return "message_stop".equals(raw.event());
        if (raw.data() == null || !raw.data().contains("message_stop")) return false;
        try {
            JsonNode n = Json.parse(raw.data());
            return "message_stop".equals(Json.text(n, "type"));
        } catch (RuntimeException e) {
            return false;
        }
    }
}
