package dev.arbiter.responses;

import dev.arbiter.wire.Fields;
import dev.arbiter.wire.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.Choice;
import dev.arbiter.llm.FinishReason;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.Usage;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.reasoning.ReasoningEnvelope;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Response objects to and from the internal model, and the pieces of one that the stream encoder shares: the
 * envelope echoing the request's settings, output items, usage. Reasoning from another format leaves as a
 * reasoning item whose {@code encrypted_content} is an Arbiter envelope (always, whatever {@code include} says,
 * since the client must send it back for the backend to continue); its text shows as a summary only when the
 * request asked for one.
 */
public final class ResponsesOutput {
    private static final Set<String> ECHOED = Set.of("prompt_cache_key", "safety_identifier", "max_tool_calls",
            "top_logprobs", "prompt_cache_retention", "conversation", "prompt");

    private ResponsesOutput() {}

    static LlmResponse decode(ObjectNode body) {
        if ("failed".equals(Json.text(body, "status"))) {
            throw new ArbiterException.Upstream(statusOf(Json.text(body.path("error"), "code")),
                    "upstream reported the response failed", "upstream_failed", null);
        }
        JsonNode output = body.get("output");
        if (Json.text(body, "id") == null) throw malformed("id");
        if (output == null || !output.isArray()) throw malformed("output");
        var parts = new ArrayList<Part>();
        boolean calls = false;
        for (int i = 0; i < output.size(); i++) {
            if (!(output.get(i) instanceof ObjectNode item)) throw malformed("output[" + i + "]");
            String type = String.valueOf(Json.text(item, "type"));
            switch (type) {
                case "message" -> {
                    JsonNode content = item.get("content");
                    if (content != null && content.isArray()) {
                        for (JsonNode c : content) {
                            if (!(c instanceof ObjectNode part)) continue;
                            String ct = String.valueOf(Json.text(part, "type"));
                            if (ct.equals("output_text")) {
                                parts.add(new Part.Text(Json.text(part, "text"), Fields.extras(part, Set.of("type", "text"))));
                            } else if (ct.equals("refusal")) {
                                parts.add(new Part.Text(Json.text(part, "refusal"),
                                        Fields.extras(part, Set.of("type", "refusal")).put("refusal", true)));
                            } else {
                                parts.add(new Part.Opaque(WireFormat.OPENAI_RESPONSES, ct, part));
                            }
                        }
                    }
                }
                case "reasoning" -> {
                    try {
                        parts.add(ResponsesInput.reasoning(item, "output[" + i + "]"));
                    } catch (ArbiterException.BadRequest e) {
                        throw malformed(e.param());
                    }
                }
                case "function_call" -> {
                    calls = true;
                    parts.add(new Part.ToolCall(Json.text(item, "call_id"),
                            ResponsesTools.flatName(Json.text(item, "namespace"), Json.text(item, "name")),
                            Json.text(item, "arguments"), Fields.extras(item, Set.of("type", "call_id", "name", "arguments"))));
                }
                case "custom_tool_call" -> {
                    calls = true;
                    parts.add(new Part.CustomToolCall(Json.text(item, "call_id"),
                            ResponsesTools.flatName(Json.text(item, "namespace"), Json.text(item, "name")),
                            Json.text(item, "input"), Fields.extras(item, Set.of("type", "call_id", "name", "input"))));
                }
                default -> parts.add(new Part.Opaque(WireFormat.OPENAI_RESPONSES, type, item));
            }
        }
        var choice = new Choice(0, new Message(Role.ASSISTANT, parts, null, null), finishReason(body, calls), null, null);
        return new LlmResponse(Json.text(body, "id"), Json.text(body, "model"), Json.longOr(body, "created_at", 0),
                List.of(choice), usage(body.get("usage")), WireFormat.OPENAI_RESPONSES, body);
    }

    static FinishReason finishReason(JsonNode response, boolean calls) {
        if ("incomplete".equals(Json.text(response, "status"))) {
            String reason = Json.text(response.path("incomplete_details"), "reason");
            return "content_filter".equals(reason) ? FinishReason.CONTENT_FILTER : FinishReason.LENGTH;
        }
        return calls ? FinishReason.TOOL_CALLS : FinishReason.STOP;
    }

    static Usage usage(JsonNode u) {
        if (u == null || !u.isObject()) return Usage.NONE;
        long in = Math.max(0, Json.longOr(u, "input_tokens", 0));
        JsonNode details = u.path("input_tokens_details");
        long cached = Math.max(0, Math.min(in, details.path("cached_tokens").asLong(0)));
        long written = Math.max(0, Math.min(in - cached, details.path("cache_write_tokens").asLong(0)));
        long out = Math.max(0, Json.longOr(u, "output_tokens", 0));
        long reasoning = Math.max(0, u.path("output_tokens_details").path("reasoning_tokens").asLong(0));
        return new Usage(in, out, cached, written, reasoning, false);
    }

    static ObjectNode usageJson(Usage u) {
        ObjectNode o = Json.object().put("input_tokens", u.inputTokens());
        o.putObject("input_tokens_details").put("cached_tokens", u.cacheReadTokens())
                .put("cache_write_tokens", u.cacheWriteTokens());
        o.put("output_tokens", u.outputTokens());
        o.putObject("output_tokens_details").put("reasoning_tokens", u.reasoningTokens());
        return o.put("total_tokens", u.totalTokens());
    }

    /** An HTTP status for a Responses error code, as the API answers those codes. */
    static int statusOf(String code) {
        if (code == null) return 502;
        return switch (code) {
            case "rate_limit_exceeded" -> 429;
            case "server_error" -> 500;
            default -> code.startsWith("invalid_") || code.startsWith("image_") ? 400 : 502;
        };
    }

    private static ArbiterException.Upstream malformed(String at) {
        return new ArbiterException.Upstream(502, "upstream answered with a malformed response (at " + at + ")",
                "upstream_bad_response", null);
    }

    static ObjectNode encode(LlmResponse r, LlmRequest req, String responseId, long createdAt, ReasoningEnvelope reasoningEnvelope) {
        if (r.format() == WireFormat.OPENAI_RESPONSES && r.raw() != null) {
            ObjectNode o = r.raw().deepCopy();
            if (responseId != null) o.put("id", responseId);
            return o;
        }
        String id = responseId != null ? responseId : newResponseId();
        Choice choice = r.choices().isEmpty() ? null : r.choices().getFirst();
        FinishReason reason = choice == null || choice.finishReason() == null ? FinishReason.STOP : choice.finishReason();
        ObjectNode o = envelope(req, id, createdAt, req.model() != null ? req.model() : r.model(), reason);
        var items = new Items(req, id, r.format(), r.model(), reasoningEnvelope);
        var text = new ArrayList<Part.Text>();
        for (Part p : r.firstMessage().parts()) {
            if (p instanceof Part.Text t) {
                text.add(t);
                continue;
            }
            if (!text.isEmpty()) items.out.add(items.message(text));
            text.clear();
            items.add(p);
        }
        if (!text.isEmpty()) items.out.add(items.message(text));
        o.set("output", items.out);
        o.set("usage", usageJson(r.usage()));
        return o;
    }

    static String newResponseId() {
        return "resp_" + UUID.randomUUID().toString().replace("-", "");
    }

    /** {@code status} and {@code incomplete_details} for a finish reason. */
    static void finish(ObjectNode response, FinishReason reason) {
        boolean incomplete = reason == FinishReason.LENGTH || reason == FinishReason.CONTENT_FILTER;
        response.put("status", incomplete ? "incomplete" : "completed");
        if (incomplete) {
            response.putObject("incomplete_details")
                    .put("reason", reason == FinishReason.LENGTH ? "max_output_tokens" : "content_filter");
        } else {
            response.putNull("incomplete_details");
        }
    }

    /**
     * A Response object without output or usage, echoing the request's settings (as the client sent them when it
     * spoke Responses) with the API's defaults for those it left out. {@code reason} null means in progress.
     */
    static ObjectNode envelope(LlmRequest req, String id, long createdAt, String model, FinishReason reason) {
        JsonNode raw = req.format() == WireFormat.OPENAI_RESPONSES && req.raw() != null ? req.raw() : Json.object();
        ObjectNode o = Json.object().put("id", id).put("object", "response").put("created_at", createdAt);
        if (reason == null) o.put("status", "in_progress").putNull("incomplete_details");
        else finish(o, reason);
        o.put("background", raw.path("background").asBoolean(false));
        o.putNull("error");
        JsonNode instructions = Fields.present(raw, "instructions");
        o.set("instructions", instructions == null ? Json.NODES.nullNode() : instructions.deepCopy());
        if (req.maxTokens() == null) o.putNull("max_output_tokens");
        else o.put("max_output_tokens", req.maxTokens());
        o.put("model", model);
        o.putArray("output");
        o.put("parallel_tool_calls", req.parallelToolCalls() == null || req.parallelToolCalls());
        o.set("previous_response_id", raw.path("previous_response_id").isTextual() ? raw.get("previous_response_id")
                : Json.NODES.nullNode());
        ObjectNode reasoning = o.putObject("reasoning");
        reasoning.put("effort", req.reasoningEffort());
        reasoning.set("summary", raw.path("reasoning").path("summary").isTextual() ? raw.path("reasoning").get("summary")
                : Json.NODES.nullNode());
        String tier = Json.text(raw, "service_tier");
        o.put("service_tier", tier == null || tier.equals("auto") ? "default" : tier);
        o.put("store", raw.path("store").asBoolean(true));
        o.put("temperature", req.temperature() == null ? 1.0 : req.temperature());
        ObjectNode text = o.putObject("text");
        JsonNode format = raw.path("text").path("format");
        text.set("format", format.isObject() ? format.deepCopy() : Json.object().put("type", "text"));
        text.put("verbosity", raw.path("text").path("verbosity").asText("medium"));
        JsonNode toolChoice = Fields.present(raw, "tool_choice");
        o.set("tool_choice", toolChoice != null ? toolChoice.deepCopy() : Json.NODES.textNode("auto"));
        JsonNode tools = Fields.present(raw, "tools");
        o.set("tools", tools != null ? tools.deepCopy() : ResponsesTools.encode(req.tools(), false));
        o.put("top_p", req.topP() == null ? 1.0 : req.topP());
        o.put("truncation", raw.path("truncation").asText("disabled"));
        o.putNull("usage");
        o.put("user", req.user());
        JsonNode metadata = Fields.present(raw, "metadata");
        o.set("metadata", metadata != null ? metadata.deepCopy() : Json.object());
        for (String field : ECHOED) {
            JsonNode v = Fields.present(raw, field);
            if (v != null) o.set(field, v.deepCopy());
        }
        return o;
    }

    /** Whether the request asked for reasoning summaries ({@code reasoning.summary} other than none). */
    static boolean summaryRequested(LlmRequest req) {
        JsonNode s = req.format() == WireFormat.OPENAI_RESPONSES && req.raw() != null
                ? req.raw().path("reasoning").path("summary") : req.extra().path("reasoning").path("summary");
        return s.isTextual() && !s.asText().equals("none");
    }

    /** The raw text a function-calling backend gave for a freeform tool: the {@code input} of its arguments. */
    static String customInput(String arguments) {
        try {
            JsonNode n = Json.MAPPER.readTree(arguments);
            if (n != null && n.path("input").isTextual()) return n.get("input").asText();
        } catch (IOException e) {
            // not the {"input": ...} object the tool declared; the arguments are the input
        }
        return arguments;
    }

    /**
     * An envelope holding another format's reasoning, or null when there is nothing to hold. Reasoning that
     * left its backend through the provider stage is already sealed for that backend: its envelope is kept.
     */
    static String seal(ReasoningEnvelope reasoningEnvelope, WireFormat source, String model, String text, String token,
                       String itemId, boolean redacted) {
        if (ReasoningEnvelope.isEnvelope(token)) return token;
        if ((text == null || text.isEmpty()) && token == null) return null;
        return reasoningEnvelope.seal(new ReasoningEnvelope.Sealed(source, model, text, token, itemId, redacted));
    }

    static String itemId(String prefix, String responseId, int index) {
        String core = responseId.startsWith("resp_") ? responseId.substring(5) : responseId;
        return prefix + core.replaceAll("[^A-Za-z0-9]", "") + "_" + index;
    }

    /** The prefix of the ids of responses Arbiter makes ({@code resp_arb_<hex>}). */
    public static final String ID_PREFIX = "resp_arb_";

    /** An output item id that {@link #itemId} made for an Arbiter response ({@code msg_arb<hex>_2}, ...). */
    private static final Pattern OWN_ITEM = Pattern.compile("(?:msg|rs|fc|ctc)_arb([0-9a-f]{32})_[0-9]+");

    /** The id of the Arbiter response ({@code resp_arb_...}) whose output item {@code itemId} is, or null. */
    public static String responseIdOf(String itemId) {
        Matcher m = OWN_ITEM.matcher(itemId);
        return m.matches() ? ID_PREFIX + m.group(1) : null;
    }

    static ObjectNode outputText(String text) {
        ObjectNode o = Json.object().put("type", "output_text");
        o.putArray("annotations");
        o.putArray("logprobs");
        return o.put("text", text);
    }

    /** Output items built from the parts of a complete answer, numbered in order. */
    private static final class Items {
        final ArrayNode out = Json.array();
        private final ResponsesTools tools;
        private final boolean summary;
        private final String responseId;
        private final WireFormat source;
        private final String model;
        private final ReasoningEnvelope reasoningEnvelope;

        Items(LlmRequest req, String responseId, WireFormat source, String model, ReasoningEnvelope reasoningEnvelope) {
            this.reasoningEnvelope = reasoningEnvelope;
            this.tools = ResponsesTools.of(req);
            this.summary = summaryRequested(req);
            this.responseId = responseId;
            this.source = source;
            this.model = model;
        }

        private String id(String prefix, Part p) {
            String own = source == WireFormat.OPENAI_RESPONSES ? Json.text(extra(p), "id") : null;
            return own != null ? own : itemId(prefix, responseId, out.size());
        }

        ObjectNode message(List<Part.Text> texts) {
            ObjectNode m = Json.object().put("id", itemId("msg_", responseId, out.size())).put("type", "message")
                    .put("status", "completed").put("role", "assistant");
            ArrayNode content = m.putArray("content");
            for (Part.Text t : texts) {
                if (t.extra().path("refusal").asBoolean(false)) content.addObject().put("type", "refusal").put("refusal", t.text());
                else content.add(outputText(t.text()));
            }
            return m;
        }

        void add(Part p) {
            switch (p) {
                case Part.ToolCall c -> {
                    ResponsesTools.Target t = tools.target(c.name());
                    if (t.custom()) out.add(customCall(id("ctc_", p), c.id(), t, customInput(c.arguments())));
                    else out.add(call(Json.object().put("id", id("fc_", p)).put("type", "function_call").put("status", "completed")
                            .put("call_id", c.id()), t).put("arguments", c.arguments()));
                }
                case Part.CustomToolCall c -> out.add(customCall(id("ctc_", p), c.id(), tools.target(c.name()), c.input()));
                case Part.Reasoning r -> {
                    ObjectNode item = reasoning(r);
                    if (item != null) out.add(item);
                }
                case Part.Opaque o when o.format() == WireFormat.OPENAI_RESPONSES -> out.add(o.raw().deepCopy());
                default -> { }
            }
        }

        private ObjectNode customCall(String id, String callId, ResponsesTools.Target t, String input) {
            return call(Json.object().put("id", id).put("type", "custom_tool_call").put("status", "completed")
                    .put("call_id", callId), t).put("input", input);
        }

        private static ObjectNode call(ObjectNode item, ResponsesTools.Target t) {
            item.put("name", t.name());
            if (t.namespace() != null) item.put("namespace", t.namespace());
            return item;
        }

        private ObjectNode reasoning(Part.Reasoning r) {
            if (source == WireFormat.OPENAI_RESPONSES) {
                ObjectNode item = reasoningItem(r.id() != null ? r.id() : itemId("rs_", responseId, out.size()), r.summary());
                if (r.text() != null) item.putArray("content").addObject().put("type", "reasoning_text").put("text", r.text());
                return r.encrypted() == null ? item : item.put("encrypted_content", r.encrypted());
            }
            String sealed = seal(reasoningEnvelope, source, model, r.text(), r.redacted() ? r.encrypted() : r.signature(), r.id(), r.redacted());
            if (sealed == null) return null;
            boolean shown = summary && r.text() != null && !r.text().isEmpty();
            return reasoningItem(itemId("rs_", responseId, out.size()), shown ? List.of(r.text()) : List.of())
                    .put("encrypted_content", sealed);
        }

        private static ObjectNode reasoningItem(String id, List<String> summaries) {
            ObjectNode item = Json.object().put("id", id).put("type", "reasoning");
            ArrayNode s = item.putArray("summary");
            summaries.forEach(text -> s.addObject().put("type", "summary_text").put("text", text));
            return item;
        }

        private static JsonNode extra(Part p) {
            return switch (p) {
                case Part.ToolCall c -> c.extra();
                case Part.CustomToolCall c -> c.extra();
                default -> null;
            };
        }
    }
}
