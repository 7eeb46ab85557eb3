package dev.arbiter.responses;

import dev.arbiter.wire.Json;
import dev.arbiter.wire.StreamDecoder;
import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.FinishReason;
import dev.arbiter.llm.SseEvent;
import dev.arbiter.llm.StreamEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes an OpenAI Responses event stream into typed events for one choice.
 *
 * <p>State: per output index, the tool call ordinal of each function or custom tool call item (the tool call
 * index), and whether any delta of an item's text or arguments came, so that a server sending only the
 * {@code .done} events still gives the whole content once. Reasoning text comes from summary deltas (summary
 * parts after the first are separated by a blank line) or raw reasoning deltas; a reasoning item's
 * {@code encrypted_content} is reported at its {@code output_item.done}. The answer finishes, with its usage, at
 * {@code response.completed} or {@code response.incomplete}; {@code response.failed} and {@code error} are
 * upstream failures. Items the model does not type (hosted tool calls) are skipped; the raw frames still carry
 * them to a Responses client.
 */
public final class ResponsesStreamDecoder implements StreamDecoder {
    private static final Logger log = LoggerFactory.getLogger(ResponsesStreamDecoder.class);

    private final Map<Integer, Integer> toolIndexes = new HashMap<>();
    private final Map<Integer, Boolean> streamed = new HashMap<>();
    private final Map<Integer, Integer> summaryPart = new HashMap<>();
    private int tools;
    private boolean started;
    private boolean complete;

    @Override
    public List<StreamEvent> decode(SseEvent event) {
        if (event.data() == null) return List.of();
        JsonNode n = StreamDecoder.eventObject(event.data());
        String type = Json.text(n, "type");
        if (type == null) type = event.event() == null ? "" : event.event();
        int output = n.path("output_index").asInt(-1);
        return switch (type) {
            case "response.created", "response.in_progress", "response.queued" -> start(n.path("response"));
            case "response.output_item.added" -> itemAdded(output, n.path("item"));
            case "response.output_text.delta", "response.refusal.delta" -> text(output, Json.text(n, "delta"));
            case "response.output_text.done" -> unstreamed(output) ? text(output, Json.text(n, "text")) : List.of();
            case "response.refusal.done" -> unstreamed(output) ? text(output, Json.text(n, "refusal")) : List.of();
            case "response.function_call_arguments.delta", "response.custom_tool_call_input.delta" ->
                    arguments(output, Json.text(n, "delta"));
            case "response.function_call_arguments.done" ->
                    unstreamed(output) ? arguments(output, Json.text(n, "arguments")) : List.of();
            case "response.custom_tool_call_input.done" ->
                    unstreamed(output) ? arguments(output, Json.text(n, "input")) : List.of();
            case "response.reasoning_summary_text.delta" -> summary(output, n.path("summary_index").asInt(0), Json.text(n, "delta"));
            case "response.reasoning_text.delta" -> reasoning(output, Json.text(n, "delta"));
            case "response.output_item.done" -> itemDone(output, n.path("item"));
            case "response.completed", "response.incomplete" -> end(n.path("response"));
            case "response.failed" -> throw failure(n.path("response").path("error"));
            case "error" -> throw failure(n.has("error") ? n.get("error") : n);
            default -> List.of();
        };
    }

    @Override
    public boolean complete() {
        return complete;
    }

    private List<StreamEvent> start(JsonNode response) {
        if (started) return List.of();
        started = true;
        return List.of(new StreamEvent.Started(Json.text(response, "id"), Json.text(response, "model"), 0));
    }

    private List<StreamEvent> itemAdded(int output, JsonNode item) {
        String type = String.valueOf(Json.text(item, "type"));
        if (!type.equals("function_call") && !type.equals("custom_tool_call")) return List.of();
        int index = tools++;
        toolIndexes.put(output, index);
        String name = ResponsesTools.flatName(Json.text(item, "namespace"), Json.text(item, "name"));
        var out = new ArrayList<StreamEvent>(2);
        out.add(new StreamEvent.ToolCallStarted(0, index, Json.text(item, "call_id"), name, type.equals("custom_tool_call")));
        String initial = Json.text(item, type.equals("function_call") ? "arguments" : "input");
        if (initial != null && !initial.isEmpty()) {
            streamed.put(output, true);
            out.add(new StreamEvent.ToolArgumentsDelta(0, index, initial));
        }
        return out;
    }

    private List<StreamEvent> text(int output, String delta) {
        if (delta == null || delta.isEmpty()) return List.of();
        streamed.put(output, true);
        return List.of(new StreamEvent.TextDelta(0, delta));
    }

    private List<StreamEvent> arguments(int output, String delta) {
        Integer index = toolIndexes.get(output);
        if (index == null || delta == null || delta.isEmpty()) return List.of();
        streamed.put(output, true);
        return List.of(new StreamEvent.ToolArgumentsDelta(0, index, delta));
    }

    private List<StreamEvent> summary(int output, int part, String delta) {
        if (delta == null || delta.isEmpty()) return List.of();
        Integer last = summaryPart.put(output, part);
        return reasoning(output, last != null && last != part ? "\n\n" + delta : delta);
    }

    private List<StreamEvent> reasoning(int output, String delta) {
        if (delta == null || delta.isEmpty()) return List.of();
        streamed.put(output, true);
        return List.of(new StreamEvent.ReasoningDelta(0, delta));
    }

    private boolean unstreamed(int output) {
        return !streamed.getOrDefault(output, false);
    }

    private List<StreamEvent> itemDone(int output, JsonNode item) {
        String type = String.valueOf(Json.text(item, "type"));
        if (type.equals("reasoning")) {
            String encrypted = Json.text(item, "encrypted_content");
            return encrypted == null || encrypted.isEmpty() ? List.of()
                    : List.of(new StreamEvent.ReasoningSignature(0, encrypted, Json.text(item, "id")));
        }
        if (type.equals("function_call") || type.equals("custom_tool_call")) {
            if (!toolIndexes.containsKey(output)) {
                var out = new ArrayList<StreamEvent>(itemAdded(output, Json.object()
                        .put("type", type).put("call_id", Json.text(item, "call_id"))
                        .put("name", Json.text(item, "name")).put("namespace", Json.text(item, "namespace"))));
                out.addAll(arguments(output, Json.text(item, type.equals("function_call") ? "arguments" : "input")));
                return out;
            }
        }
        return List.of();
    }

    private List<StreamEvent> end(JsonNode response) {
        complete = true;
        var out = new ArrayList<StreamEvent>(4);
        out.addAll(start(response));
        boolean calls = tools > 0;
        for (JsonNode item : response.path("output")) {
            String type = Json.text(item, "type");
            if ("function_call".equals(type) || "custom_tool_call".equals(type)) calls = true;
        }
        out.add(new StreamEvent.Finished(0, ResponsesOutput.finishReason(response, calls), null));
        if (response.path("usage").isObject()) out.add(new StreamEvent.UsageReported(ResponsesOutput.usage(response.get("usage"))));
        out.add(new StreamEvent.Completed());
        return out;
    }

    private static ArbiterException.Upstream failure(JsonNode error) {
        String code = Json.text(error, "code");
        String message = String.valueOf(Json.text(error, "message"));
        log.warn("upstream stream error {}: {}", code, message.length() > 500 ? message.substring(0, 500) + "..." : message);
        return new ArbiterException.Upstream(ResponsesOutput.statusOf(code),
                "upstream reported " + (code == null ? "an error" : code) + " mid-stream", "upstream_stream_error", null);
    }
}
