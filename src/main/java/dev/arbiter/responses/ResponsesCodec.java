package dev.arbiter.responses;

import dev.arbiter.chat.ChatCodec;
import dev.arbiter.wire.Fields;
import dev.arbiter.wire.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.ToolChoice;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.reasoning.ReasoningEnvelope;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The OpenAI Responses format ({@code POST /v1/responses}) to and from the internal model.
 *
 * <p>Decoding a request validates what Arbiter relies on, failing with a 400 in OpenAI's wording that names the
 * field ({@code input[3].call_id}); everything the model does not name stays in {@code extra}, and the objects
 * it reads only in part ({@code text}, {@code reasoning}) stay there whole. {@code instructions} become a
 * leading SYSTEM message marked {@code {"instructions": true}}. A Responses upstream receives the client's own
 * body ({@code raw}); {@link #encodeRequest} serves clients of the other formats.
 */
public final class ResponsesCodec {
    /** The extra key marking the SYSTEM message made from {@code instructions}. */
    public static final String INSTRUCTIONS = "instructions";

    private static final Set<String> MODELLED = Set.of("model", "input", "instructions", "stream", "tools",
            "tool_choice", "parallel_tool_calls", "max_output_tokens", "temperature", "top_p", "user");
    private static final int MIN_OUTPUT_TOKENS = 16;

    private ResponsesCodec() {}

    public static LlmRequest decodeRequest(ObjectNode body) {
        String model = Fields.requiredString(body, "model", "model");
        var messages = new ArrayList<Message>();
        String instructions = Fields.optionalString(body, "instructions", "instructions");
        if (instructions != null) {
            messages.add(new Message(Role.SYSTEM, List.of(Part.Text.of(instructions)), null,
                    Json.object().put(INSTRUCTIONS, true)));
        }
        JsonNode input = Fields.present(body, "input");
        if (input != null) {
            messages.addAll(ResponsesInput.decode(input, "input"));
        } else if (Fields.present(body, "previous_response_id") == null && Fields.present(body, "conversation") == null
                && Fields.present(body, "prompt") == null) {
            throw Fields.missing("input");
        }
        Fields.optionalInt(body, "top_logprobs", "top_logprobs", 0, ChatCodec.MAX_LOGPROBS);
        ObjectNode reasoning = optionalObject(body, "reasoning");
        ObjectNode text = optionalObject(body, "text");
        return LlmRequest.builder(Operation.CHAT, WireFormat.OPENAI_RESPONSES)
                .model(model)
                .stream(Boolean.TRUE.equals(Fields.optionalBool(body, "stream", "stream")))
                .messages(messages)
                .tools(ResponsesTools.decode(Fields.present(body, "tools")))
                .toolChoice(toolChoice(Fields.present(body, "tool_choice")))
                .parallelToolCalls(Fields.optionalBool(body, "parallel_tool_calls", "parallel_tool_calls"))
                .maxTokens(Fields.optionalInt(body, "max_output_tokens", "max_output_tokens", 1))
                .temperature(Fields.optionalNumber(body, "temperature", "temperature", 0, 2))
                .topP(Fields.optionalNumber(body, "top_p", "top_p", 0, 1))
                .responseFormat(text == null ? null : responseFormat(text))
                .reasoningEffort(reasoning == null ? null : Fields.optionalString(reasoning, "effort", "reasoning.effort"))
                .user(Fields.optionalString(body, "user", "user"))
                .extra(Fields.extras(body, MODELLED))
                .raw(body)
                .build();
    }

    private static ObjectNode optionalObject(ObjectNode body, String field) {
        JsonNode v = Fields.present(body, field);
        return v == null ? null : Fields.object(v, field);
    }

    /** {@code text.format} in the chat {@code response_format} shape. */
    private static JsonNode responseFormat(ObjectNode text) {
        JsonNode f = Fields.present(text, "format");
        if (f == null) return null;
        ObjectNode format = Fields.object(f, "text.format");
        String type = Fields.requiredString(format, "type", "text.format.type");
        return switch (type) {
            case "text", "json_object" -> Json.object().put("type", type);
            case "json_schema" -> {
                ObjectNode out = Json.object().put("type", "json_schema");
                ObjectNode schema = out.putObject("json_schema")
                        .put("name", Fields.requiredString(format, "name", "text.format.name"));
                JsonNode s = Fields.present(format, "schema");
                if (s == null) throw Fields.missing("text.format.schema");
                schema.set("schema", Fields.object(s, "text.format.schema"));
                String description = Fields.optionalString(format, "description", "text.format.description");
                if (description != null) schema.put("description", description);
                Boolean strict = Fields.optionalBool(format, "strict", "text.format.strict");
                if (strict != null) schema.put("strict", strict);
                yield out;
            }
            default -> throw Fields.invalidValue("text.format.type",
                    "'" + type + "' is not one of ['text', 'json_object', 'json_schema'].");
        };
    }

    /**
     * {@code tool_choice}. Choices the internal model cannot name narrow to the nearest it can: a hosted tool
     * or {@code mcp} to required, {@code allowed_tools} to its mode; the exact choice stays in {@code raw}.
     */
    static ToolChoice toolChoice(JsonNode tc) {
        if (tc == null) return null;
        if (tc.isTextual()) {
            return switch (tc.asText()) {
                case "auto" -> new ToolChoice.Auto();
                case "none" -> new ToolChoice.None();
                case "required" -> new ToolChoice.Required();
                default -> throw Fields.invalidValue("tool_choice",
                        "'" + tc.asText() + "' is not one of ['none', 'auto', 'required'] or an object.");
            };
        }
        ObjectNode o = Fields.object(tc, "tool_choice");
        String type = Fields.requiredString(o, "type", "tool_choice.type");
        return switch (type) {
            case "function", "custom" -> new ToolChoice.Named(ResponsesTools.flatName(
                    Fields.optionalString(o, "namespace", "tool_choice.namespace"),
                    Fields.requiredString(o, "name", "tool_choice.name")));
            case "allowed_tools" -> {
                String mode = Fields.requiredString(o, "mode", "tool_choice.mode");
                yield switch (mode) {
                    case "auto" -> new ToolChoice.Auto();
                    case "required" -> new ToolChoice.Required();
                    default -> throw Fields.invalidValue("tool_choice.mode", "'" + mode + "' is not one of ['auto', 'required'].");
                };
            }
            default -> new ToolChoice.Required();
        };
    }

    /**
     * A Responses request body for {@code upstreamModel}, for a request that arrived in another format. Leading
     * system and developer messages become {@code instructions}, later ones developer (or system) messages;
     * reasoning crosses only as an envelope Arbiter sealed for this format and model, unsealed to the upstream's
     * own {@code encrypted_content}; anything else is dropped. Arbiter keeps conversation state itself, so
     * {@code store} is false, and encrypted reasoning is asked for whenever reasoning is.
     */
    public static ObjectNode encodeRequest(LlmRequest req, String upstreamModel) {
        boolean own = req.format() == WireFormat.OPENAI_RESPONSES;
        ResponsesTools tools = ResponsesTools.of(req);
        ObjectNode out = Json.object().put("model", upstreamModel);
        var instructions = new StringBuilder();
        ArrayNode input = out.putArray("input");
        var customCalls = new HashSet<String>();
        boolean leading = true;
        for (Message m : req.messages()) {
            if (m.role() == Role.SYSTEM || m.role() == Role.DEVELOPER) {
                if (leading) {
                    if (!instructions.isEmpty()) instructions.append("\n\n");
                    instructions.append(m.text());
                } else {
                    input.addObject().put("type", "message").put("role", m.role().wire()).put("content", m.text());
                }
                continue;
            }
            leading = false;
            if (m.role() == Role.ASSISTANT) assistantItems(m, tools, customCalls, input);
            else userItems(m, customCalls, input);
        }
        if (!instructions.isEmpty()) out.put("instructions", instructions.toString());
        ArrayNode toolsJson = ResponsesTools.encode(req.tools(), own);
        if (!toolsJson.isEmpty()) {
            out.set("tools", toolsJson);
            if (req.toolChoice() != null) out.set("tool_choice", encodeToolChoice(req.toolChoice(), tools));
            if (req.parallelToolCalls() != null) out.put("parallel_tool_calls", req.parallelToolCalls());
        }
        if (req.maxTokens() != null) out.put("max_output_tokens", Math.max(MIN_OUTPUT_TOKENS, req.maxTokens()));
        if (req.temperature() != null) out.put("temperature", req.temperature());
        if (req.topP() != null) out.put("top_p", req.topP());
        if (req.responseFormat() != null) out.putObject("text").set("format", textFormat(req.responseFormat()));
        String effort = effort(req);
        if (effort != null) {
            out.putObject("reasoning").put("effort", effort);
            out.putArray("include").add("reasoning.encrypted_content");
        }
        if (req.user() != null) out.put("user", req.user());
        out.put("store", false);
        if (req.stream()) out.put("stream", true);
        if (own) req.extra().properties().forEach(e -> out.set(e.getKey(), e.getValue().deepCopy()));
        return out;
    }

    private static void assistantItems(Message m, ResponsesTools tools,
                                       Set<String> customCalls, ArrayNode input) {
        var text = new StringBuilder();
        for (Part p : m.parts()) {
            if (p instanceof Part.Text t) {
                text.append(t.text());
                continue;
            }
            flushAssistantText(text, input);
            switch (p) {
                case Part.ToolCall c -> {
                    ResponsesTools.Target target = tools.target(c.name());
                    if (target.custom()) {
                        customCalls.add(c.id());
                        namespaced(input.addObject().put("type", "custom_tool_call").put("call_id", c.id()), target)
                                .put("input", ResponsesOutput.customInput(c.arguments()));
                    } else {
                        namespaced(input.addObject().put("type", "function_call").put("call_id", c.id()), target)
                                .put("arguments", c.arguments());
                    }
                }
                case Part.CustomToolCall c -> {
                    customCalls.add(c.id());
                    namespaced(input.addObject().put("type", "custom_tool_call").put("call_id", c.id()), tools.target(c.name()))
                            .put("input", c.input());
                }
                case Part.Reasoning r -> reasoningItem(r).ifPresent(input::add);
                case Part.Opaque o when o.format() == WireFormat.OPENAI_RESPONSES -> input.add(o.raw().deepCopy());
                default -> { }
            }
        }
        flushAssistantText(text, input);
    }

    private static ObjectNode namespaced(ObjectNode item, ResponsesTools.Target target) {
        item.put("name", target.name());
        if (target.namespace() != null) item.put("namespace", target.namespace());
        return item;
    }

    private static void flushAssistantText(StringBuilder text, ArrayNode input) {
        if (text.isEmpty()) return;
        input.addObject().put("type", "message").put("role", "assistant").put("content", text.toString());
        text.setLength(0);
    }

    /**
     * The upstream's own reasoning item: {@code r}'s encrypted content when it is the upstream's own token (a
     * Responses client's, or one that {@code ReasoningSeal.resolve} took out of its envelope for this backend, as
     * the attempt step does for every translated request before it gets here); none otherwise. Envelopes are opened
     * only there, with the gateway's key: one still here was not this backend's, and is dropped.
     */
    private static Optional<ObjectNode> reasoningItem(Part.Reasoning r) {
        if (r.encrypted() == null || r.encrypted().isEmpty() || ReasoningEnvelope.isEnvelope(r.encrypted())) return Optional.empty();
        ObjectNode item = Json.object().put("type", "reasoning");
        if (r.id() != null) item.put("id", r.id());
        ArrayNode summary = item.putArray("summary");
        r.summary().forEach(s -> summary.addObject().put("type", "summary_text").put("text", s));
        return Optional.of(item.put("encrypted_content", r.encrypted()));
    }

    private static void userItems(Message m, Set<String> customCalls, ArrayNode input) {
        var rest = new ArrayList<Part>();
        for (Part p : m.parts()) {
            if (!(p instanceof Part.ToolResult r)) {
                rest.add(p);
                continue;
            }
            boolean custom = r.custom() || customCalls.contains(r.callId());
            ObjectNode item = input.addObject().put("type", custom ? "custom_tool_call_output" : "function_call_output")
                    .put("call_id", r.callId());
            if (r.content().stream().allMatch(c -> c instanceof Part.Text)) {
                item.put("output", r.isError() && !r.text().startsWith("Error") ? "Error: " + r.text() : r.text());
            } else {
                item.set("output", ResponsesInput.encodeContent(r.content()));
            }
        }
        if (rest.isEmpty()) return;
        ArrayNode content = ResponsesInput.encodeContent(rest);
        if (!content.isEmpty()) input.addObject().put("type", "message").put("role", "user").set("content", content);
    }

    private static JsonNode encodeToolChoice(ToolChoice c, ResponsesTools tools) {
        return switch (c) {
            case ToolChoice.Auto a -> Json.NODES.textNode("auto");
            case ToolChoice.None n -> Json.NODES.textNode("none");
            case ToolChoice.Required r -> Json.NODES.textNode("required");
            case ToolChoice.Named n -> {
                ResponsesTools.Target t = tools.target(n.name());
                ObjectNode o = Json.object().put("type", t.custom() ? "custom" : "function").put("name", t.name());
                if (t.namespace() != null) o.put("namespace", t.namespace());
                yield o;
            }
        };
    }

    /** A chat {@code response_format} as a Responses {@code text.format}. */
    private static ObjectNode textFormat(JsonNode rf) {
        String type = Json.text(rf, "type");
        if (!"json_schema".equals(type)) return Json.object().put("type", type == null ? "text" : type);
        ObjectNode out = Json.object().put("type", "json_schema");
        JsonNode js = rf.path("json_schema");
        out.put("name", js.path("name").asText("response"));
        out.set("schema", js.path("schema").isObject() ? js.get("schema").deepCopy() : Json.object());
        if (js.has("description")) out.set("description", js.get("description"));
        if (js.has("strict")) out.set("strict", js.get("strict"));
        return out;
    }

    /** The reasoning effort asked for, from an OpenAI effort or an Anthropic thinking budget. */
    private static String effort(LlmRequest req) {
        if (req.reasoningEffort() != null) return req.reasoningEffort();
        if (req.thinkingBudget() == null) return null;
        int b = req.thinkingBudget();
        return b < 2048 ? "low" : b < 8192 ? "medium" : "high";
    }

    /** A Response object as an internal answer with one choice; {@code raw} is {@code body}. */
    public static LlmResponse decodeResponse(ObjectNode body) {
        return ResponsesOutput.decode(body);
    }

    /**
     * The Response object a Responses client expects. One that came from a Responses upstream is returned as it
     * came, with only its {@code id} replaced by {@code responseId} when one is given; any other is built from
     * the first choice, echoing the request's settings as OpenAI does; reasoning from another format is sealed in
     * {@code reasoningEnvelope}, the gateway's.
     */
    public static ObjectNode encodeResponse(LlmResponse r, LlmRequest req, String responseId, long createdAt,
                                            ReasoningEnvelope reasoningEnvelope) {
        return ResponsesOutput.encode(r, req, responseId, createdAt, reasoningEnvelope);
    }
}
