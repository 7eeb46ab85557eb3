package dev.arbiter.responses;

import dev.arbiter.wire.Json;
import dev.arbiter.wire.StreamEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.ErrorKind;
import dev.arbiter.llm.FinishReason;
import dev.arbiter.reasoning.ReasoningEnvelope;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.SseEvent;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.Usage;
import dev.arbiter.llm.WireFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Encodes a streamed answer as OpenAI Responses events, for a client that spoke Responses.
 *
 * <p>Frames from a Responses upstream pass through as they came with two rewrites. {@code sequence_number} is
 * renumbered from 0, because Arbiter adds events of its own to the same stream ({@code error} and
 * {@code response.failed} when the upstream fails after it started) and those must continue the client's
 * sequence. The response {@code id} becomes {@code responseId}, as in {@link ResponsesCodec#encodeResponse}:
 * Arbiter keeps conversation state under its own id (the upstream stored nothing), and that is the id the
 * client will send back as {@code previous_response_id}.
 *
 * <p>Any other upstream's typed events drive a state machine that emits exactly the API's sequence:
 *
 * <pre>
 * response.created  response.in_progress
 * per output item, numbered 0, 1, 2... in the order they open:
 *   response.output_item.added
 *     message:   content_part.added  output_text.delta*  output_text.done  content_part.done
 *     reasoning: (reasoning_summary_part.added  reasoning_summary_text.delta*  .._text.done  .._part.done)?
 *     function:  function_call_arguments.delta*  function_call_arguments.done
 *     custom:    custom_tool_call_input.delta*  custom_tool_call_input.done
 *   response.output_item.done
 * response.completed | response.incomplete (max_output_tokens, content_filter)
 * </pre>
 *
 * <p>Invariants: every event carries the next {@code sequence_number} and an SSE event name equal to its
 * {@code type}; at most one message or reasoning item is open, and any other event closes it; tool call items
 * stay open side by side (upstreams may interleave their argument deltas) until text, reasoning or the finish
 * comes; nothing follows the terminal event. A reasoning item closes at its signature, and its
 * {@code encrypted_content} is then set: the upstream's own token from a Responses upstream, else an Arbiter
 * envelope of the text and signature; its text streams as a summary only when the request asked for one. A
 * function call to a tool the client declared custom (a backend that only knows functions called the function
 * Arbiter made of it) becomes a custom tool call whose raw input is unwrapped from {@code {"input": "..."}} as
 * the fragments arrive. The final response is the same object {@link ResponsesCodec#encodeResponse} builds.
 * Only choice 0 is encoded.
 */
public final class ResponsesStreamEncoder implements StreamEncoder {
    private enum Kind { MESSAGE, REASONING, FUNCTION, CUSTOM }

    /** An open output item and what it has gathered. */
    private static final class Item {
        final Kind kind;
        final int output;
        final String id;
        final ObjectNode json;
        final StringBuilder content = new StringBuilder();
        ResponsesCustomInput unwrap;
        String signature;
        boolean redacted;
        boolean summaryOpen;

        Item(Kind kind, int output, String id, ObjectNode json) {
            this.kind = kind;
            this.output = output;
            this.id = id;
            this.json = json;
        }
    }

    private final LlmRequest request;
    private final String responseId;
    private final String id;
    private final long createdAt;
    private final ResponsesTools tools;
    private final boolean summary;
    private final Map<Integer, Item> openTools = new LinkedHashMap<>();
    private final Map<Integer, ObjectNode> done = new TreeMap<>();
    private long sequence;
    private boolean started;
    private boolean closed;
    private boolean passthrough;
    private String upstreamId;
    private Item flow;
    private int outputs;
    private WireFormat source = WireFormat.OPENAI_CHAT;
    private String upstreamModel;
    private final ReasoningEnvelope reasoningEnvelope;
    private FinishReason reason;
    private Usage usage = Usage.NONE;

    /**
     * @param request the client's request, whose settings the response objects echo
     * @param responseId the id to give the response, {@code resp_...}; null keeps a Responses upstream's own
     * @param createdAt the response's creation time, in seconds since the epoch
     * @param reasoningEnvelope the gateway's envelope, for reasoning from another format
     */
    public ResponsesStreamEncoder(LlmRequest request, String responseId, long createdAt, ReasoningEnvelope reasoningEnvelope) {
        this.reasoningEnvelope = reasoningEnvelope;
        this.request = request;
        this.responseId = responseId;
        this.id = responseId != null ? responseId : ResponsesOutput.newResponseId();
        this.createdAt = createdAt;
        this.tools = ResponsesTools.of(request);
        this.summary = ResponsesOutput.summaryRequested(request);
    }

    @Override
    public List<SseEvent> encode(Frame frame) {
        if (frame.format() == WireFormat.OPENAI_RESPONSES && frame.raw() != null) return passThrough(frame.raw());
        var out = new ArrayList<SseEvent>();
        source = frame.format();
        for (StreamEvent e : frame.events()) on(e, out);
        return out;
    }

    @Override
    public List<SseEvent> finish() {
        if (closed || passthrough) return List.of();
        var out = new ArrayList<SseEvent>();
        complete(out);
        return out;
    }

    @Override
    public List<SseEvent> error(ArbiterException e) {
        if (closed) return List.of();
        closed = true;
        var out = new ArrayList<SseEvent>(2);
        ErrorKind kind = ErrorKind.of(e);
        ObjectNode error = event("error").put("code", e.code() != null ? e.code() : kind.openAiType())
                .put("message", e.getMessage()).put("param", e.param());
        emit(error, out);
        String failedId = responseId == null && passthrough && upstreamId != null ? upstreamId : id;
        ObjectNode response = ResponsesOutput.envelope(request, failedId, createdAt, request.model(), null);
        response.put("status", "failed");
        response.putObject("error").put("code", kind.status() == 429 ? "rate_limit_exceeded" : "server_error")
                .put("message", e.getMessage());
        response.set("output", output());
        emit(event("response.failed").set("response", response), out);
        return out;
    }

    @Override
    public SseEvent keepAlive() {
        return SseEvent.comment(" keep-alive");
    }

    private List<SseEvent> passThrough(SseEvent raw) {
        passthrough = true;
        started = true;
        if (raw.data() == null) return List.of(raw);
        JsonNode n;
        try {
            n = Json.parse(raw.data());
        } catch (RuntimeException e) {
            return List.of(raw);
        }
        if (!(n instanceof ObjectNode event)) return List.of(raw);
        String type = Json.text(event, "type");
        if (event.get("response") instanceof ObjectNode response) {
            if (Json.text(response, "id") != null) upstreamId = Json.text(response, "id");
            if (responseId != null) response.put("id", responseId);
        }
        if ("response.completed".equals(type) || "response.incomplete".equals(type) || "response.failed".equals(type)) {
            closed = true;
        }
        event.put("sequence_number", sequence++);
        return List.of(SseEvent.named(type != null ? type : raw.event(), Json.string(event)));
    }

    private void on(StreamEvent e, List<SseEvent> out) {
        if (closed) return;
        switch (e) {
            case StreamEvent.Started s -> {
                if (s.model() != null) upstreamModel = s.model();
                start(out);
            }
            case StreamEvent.TextDelta t when t.choice() == 0 && !t.text().isEmpty() -> {
                Item m = openFlow(Kind.MESSAGE, out);
                m.content.append(t.text());
                delta("response.output_text.delta", m, true, t.text(), out);
            }
            case StreamEvent.ReasoningDelta r when r.choice() == 0 && !r.text().isEmpty() -> {
                Item item = flow != null && flow.kind == Kind.REASONING && flow.signature == null ? flow : openFlow(Kind.REASONING, out);
                item.content.append(r.text());
                if (!summary) return;
                if (!item.summaryOpen) {
                    item.summaryOpen = true;
                    emit(summaryEvent("response.reasoning_summary_part.added", item).set("part", summaryText("")), out);
                }
                emit(summaryEvent("response.reasoning_summary_text.delta", item).put("delta", r.text()), out);
            }
            case StreamEvent.ReasoningSignature s when s.choice() == 0 -> {
                Item item = flow != null && flow.kind == Kind.REASONING && flow.signature == null ? flow : openFlow(Kind.REASONING, out);
                item.signature = s.signature();
                closeFlow(out);
            }
            case StreamEvent.RedactedReasoning r when r.choice() == 0 -> {
                Item item = openFlow(Kind.REASONING, out);
                item.signature = r.data();
                item.redacted = true;
                closeFlow(out);
            }
            case StreamEvent.ToolCallStarted t when t.choice() == 0 && !openTools.containsKey(t.index()) -> openTool(t, out);
            case StreamEvent.ToolArgumentsDelta a when a.choice() == 0 && !a.fragment().isEmpty() -> {
                Item item = openTools.get(a.index());
                if (item != null) toolDelta(item, a.fragment(), out);
            }
            case StreamEvent.Finished f when f.choice() == 0 -> {
                start(out);
                reason = f.reason();
                closeFlow(out);
                closeTools(out);
            }
            case StreamEvent.UsageReported u -> usage = u.usage();
            case StreamEvent.Completed c -> complete(out);
            default -> { }
        }
    }

    private void start(List<SseEvent> out) {
        if (started) return;
        started = true;
        ObjectNode response = ResponsesOutput.envelope(request, id, createdAt, request.model(), null);
        emit(event("response.created").set("response", response), out);
        emit(event("response.in_progress").set("response", response.deepCopy()), out);
    }

    /** Opens a message or reasoning item, closing whatever else is open. */
    private Item openFlow(Kind kind, List<SseEvent> out) {
        if (flow != null && flow.kind == kind && kind == Kind.MESSAGE) return flow;
        start(out);
        closeFlow(out);
        closeTools(out);
        int index = outputs++;
        ObjectNode json;
        if (kind == Kind.MESSAGE) {
            json = Json.object().put("id", ResponsesOutput.itemId("msg_", id, index)).put("type", "message")
                    .put("status", "in_progress").put("role", "assistant");
            json.putArray("content");
        } else {
            json = Json.object().put("id", ResponsesOutput.itemId("rs_", id, index)).put("type", "reasoning");
            json.putArray("summary");
        }
        flow = new Item(kind, index, Json.text(json, "id"), json);
        emit(itemEvent("response.output_item.added", flow).set("item", json.deepCopy()), out);
        if (kind == Kind.MESSAGE) {
            emit(contentEvent("response.content_part.added", flow).set("part", ResponsesOutput.outputText("")), out);
        }
        return flow;
    }

    private void closeFlow(List<SseEvent> out) {
        Item item = flow;
        if (item == null) return;
        flow = null;
        String text = item.content.toString();
        if (item.kind == Kind.MESSAGE) {
            emit(contentEvent("response.output_text.done", item).put("text", text).set("logprobs", Json.array()), out);
            emit(contentEvent("response.content_part.done", item).set("part", ResponsesOutput.outputText(text)), out);
            item.json.put("status", "completed");
            ((ArrayNode) item.json.get("content")).add(ResponsesOutput.outputText(text));
        } else {
            if (item.summaryOpen) {
                emit(summaryEvent("response.reasoning_summary_text.done", item).put("text", text), out);
                emit(summaryEvent("response.reasoning_summary_part.done", item).set("part", summaryText(text)), out);
                ((ArrayNode) item.json.get("summary")).add(summaryText(text));
            }
            String encrypted = source == WireFormat.OPENAI_RESPONSES ? item.signature
                    : ResponsesOutput.seal(reasoningEnvelope, source, upstreamModel, text.isEmpty() ? null : text, item.signature, null, item.redacted);
            if (encrypted != null) item.json.put("encrypted_content", encrypted);
        }
        itemDone(item, out);
    }

    private void openTool(StreamEvent.ToolCallStarted t, List<SseEvent> out) {
        start(out);
        closeFlow(out);
        ResponsesTools.Target target = tools.target(t.name());
        boolean custom = t.custom() || target.custom();
        int index = outputs++;
        String itemId = ResponsesOutput.itemId(custom ? "ctc_" : "fc_", id, index);
        String callId = t.id() != null ? t.id() : "call_" + itemId.substring(itemId.indexOf('_') + 1);
        ObjectNode json = Json.object().put("id", itemId).put("type", custom ? "custom_tool_call" : "function_call")
                .put("status", "in_progress").put("call_id", callId).put("name", target.name());
        if (target.namespace() != null) json.put("namespace", target.namespace());
        json.put(custom ? "input" : "arguments", "");
        Item item = new Item(custom ? Kind.CUSTOM : Kind.FUNCTION, index, itemId, json);
        if (custom && !t.custom()) item.unwrap = new ResponsesCustomInput();
        openTools.put(t.index(), item);
        emit(itemEvent("response.output_item.added", item).set("item", json.deepCopy()), out);
    }

    private void toolDelta(Item item, String fragment, List<SseEvent> out) {
        if (item.kind == Kind.FUNCTION) {
            item.content.append(fragment);
            delta("response.function_call_arguments.delta", item, false, fragment, out);
            return;
        }
        String text = item.unwrap != null ? item.unwrap.feed(fragment) : fragment;
        customDelta(item, text, out);
    }

    private void customDelta(Item item, String text, List<SseEvent> out) {
        if (text.isEmpty()) return;
        item.content.append(text);
        delta("response.custom_tool_call_input.delta", item, false, text, out);
    }

    private void closeTools(List<SseEvent> out) {
        for (Item item : openTools.values()) {
            String content;
            if (item.kind == Kind.FUNCTION) {
                content = item.content.toString();
                emit(itemEvent("response.function_call_arguments.done", item).put("arguments", content), out);
            } else {
                if (item.unwrap != null) customDelta(item, item.unwrap.finish(), out);
                content = item.content.toString();
                emit(itemEvent("response.custom_tool_call_input.done", item).put("input", content), out);
            }
            item.json.put("status", "completed").put(item.kind == Kind.FUNCTION ? "arguments" : "input", content);
            itemDone(item, out);
        }
        openTools.clear();
    }

    private void itemDone(Item item, List<SseEvent> out) {
        done.put(item.output, item.json);
        emit(itemEvent("response.output_item.done", item).set("item", item.json.deepCopy()), out);
    }

    private void complete(List<SseEvent> out) {
        start(out);
        boolean calls = !openTools.isEmpty() || done.values().stream().anyMatch(i -> !"message".equals(Json.text(i, "type"))
                && !"reasoning".equals(Json.text(i, "type")));
        closeFlow(out);
        closeTools(out);
        FinishReason r = reason != null ? reason : calls ? FinishReason.TOOL_CALLS : FinishReason.STOP;
        ObjectNode response = ResponsesOutput.envelope(request, id, createdAt, request.model(), r);
        response.set("output", output());
        response.set("usage", ResponsesOutput.usageJson(usage));
        emit(event("completed".equals(Json.text(response, "status")) ? "response.completed" : "response.incomplete")
                .set("response", response), out);
        closed = true;
    }

    private ArrayNode output() {
        ArrayNode output = Json.array();
        done.values().forEach(i -> output.add(i.deepCopy()));
        return output;
    }

    private static ObjectNode event(String type) {
        return Json.object().put("type", type);
    }

    private static ObjectNode itemEvent(String type, Item item) {
        ObjectNode e = event(type).put("output_index", item.output);
        return type.startsWith("response.output_item.") ? e : e.put("item_id", item.id);
    }

    private static ObjectNode contentEvent(String type, Item item) {
        return itemEvent(type, item).put("content_index", 0);
    }

    private static ObjectNode summaryEvent(String type, Item item) {
        return itemEvent(type, item).put("summary_index", 0);
    }

    private static ObjectNode summaryText(String text) {
        return Json.object().put("type", "summary_text").put("text", text);
    }

    /**
     * A delta event, the stream's most frequent, written straight to its JSON text: the same fields in the same
     * order as {@link #itemEvent}/{@link #contentEvent} plus {@code delta} (and, for output text, empty
     * {@code logprobs}) would give, without building and serializing a tree per token.
     */
    private void delta(String type, Item item, boolean text, String delta, List<SseEvent> out) {
        var json = new StringBuilder(96 + type.length() + item.id.length() + delta.length());
        json.append("{\"type\":\"").append(type).append("\",\"output_index\":").append(item.output)
                .append(",\"item_id\":\"");
        QUOTE.quoteAsString(item.id, json);
        json.append('"');
        if (text) json.append(",\"content_index\":0");
        json.append(",\"delta\":\"");
        QUOTE.quoteAsString(delta, json);
        json.append('"');
        if (text) json.append(",\"logprobs\":[]");
        json.append(",\"sequence_number\":").append(sequence++).append('}');
        out.add(SseEvent.named(type, json.toString()));
    }

    private static final com.fasterxml.jackson.core.io.JsonStringEncoder QUOTE = com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance();

    private void emit(ObjectNode event, List<SseEvent> out) {
        event.put("sequence_number", sequence++);
        out.add(SseEvent.named(Json.text(event, "type"), Json.string(event)));
    }
}
