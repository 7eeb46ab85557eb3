package dev.arbiter.messages;

import dev.arbiter.wire.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.Choice;
import dev.arbiter.llm.Extras;
import dev.arbiter.llm.FinishReason;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.Tool;
import dev.arbiter.llm.ToolChoice;
import dev.arbiter.llm.Usage;
import dev.arbiter.llm.WireFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The Anthropic Messages format ({@code POST /v1/messages}) to and from the internal model.
 *
 * <p>Decoding a request is strict: a malformed body fails with a 400 whose message and param name the JSON path
 * at fault, worded as Anthropic words it ({@code messages.0.content.2.type: Field required}). Nothing is lost:
 * top-level fields the model does not name stay in the request's {@code extra}, block fields such as
 * {@code cache_control} in each part's {@code extra}, unknown blocks as {@link Part.Opaque}. Objects the model
 * reads only in part ({@code thinking}, {@code metadata}, {@code output_config}) are also kept whole in
 * {@code extra}.
 *
 * <p>Encoding a request serves clients of the other formats (an Anthropic client's request is forwarded as it
 * came by the provider); extras are written back only when the request was itself read from this format.
 */
public final class MessagesCodec {
    private static final int DEFAULT_MAX_TOKENS = 4096;
    private static final Set<String> MODELLED = Set.of("model", "messages", "system", "max_tokens", "temperature",
            "top_p", "stop_sequences", "stream", "tools", "tool_choice");

    private MessagesCodec() {}

    /** An Anthropic Messages request body as an internal chat request; {@code raw} is {@code body} itself. */
    public static LlmRequest decodeRequest(ObjectNode body) {
        var b = LlmRequest.builder(Operation.CHAT, WireFormat.ANTHROPIC_MESSAGES).raw(body);
        b.model(MessagesRead.string(body, "model", ""));
        b.maxTokens(MessagesRead.integer(body, "max_tokens", "", 1));
        var messages = new ArrayList<Message>();
        JsonNode system = MessagesRead.present(body, "system");
        if (system != null) messages.add(new Message(Role.SYSTEM, system(system), null, null));
        JsonNode list = MessagesRead.present(body, "messages");
        if (list == null) throw MessagesRead.fail("messages", "Field required");
        if (!list.isArray()) throw MessagesRead.fail("messages", "Input should be a valid list");
        if (list.isEmpty()) throw MessagesRead.fail("messages", "at least one message is required");
        for (int i = 0; i < list.size(); i++) messages.add(message(list.get(i), "messages." + i));
        b.messages(messages);
        b.tools(tools(MessagesRead.present(body, "tools")));
        toolChoice(MessagesRead.present(body, "tool_choice"), b);
        b.temperature(MessagesRead.unit(body, "temperature"));
        b.topP(MessagesRead.unit(body, "top_p"));
        b.stop(MessagesRead.strings(body, "stop_sequences", ""));
        b.stream(Boolean.TRUE.equals(MessagesRead.bool(body, "stream", "")));
        ObjectNode metadata = MessagesRead.optObject(body, "metadata", "");
        if (metadata != null) b.user(MessagesRead.optString(metadata, "user_id", "metadata"));
        ObjectNode thinking = MessagesRead.optObject(body, "thinking", "");
        if (thinking != null && "enabled".equals(MessagesRead.string(thinking, "type", "thinking"))) {
            b.thinkingBudget(MessagesRead.integer(thinking, "budget_tokens", "thinking", 1));
        }
        ObjectNode output = MessagesRead.optObject(body, "output_config", "");
        if (output != null) b.reasoningEffort(MessagesRead.optString(output, "effort", "output_config"));
        b.extra(MessagesRead.rest(body, MODELLED));
        return b.build();
    }

    private static List<Part> system(JsonNode system) {
        if (system.isTextual()) return List.of(Part.Text.of(system.asText()));
        if (!system.isArray()) throw MessagesRead.fail("system", "Input should be a valid string or a list of text blocks");
        var parts = new ArrayList<Part>();
        for (int i = 0; i < system.size(); i++) {
            String path = "system." + i;
            ObjectNode block = MessagesRead.object(system.get(i), path);
            if (!"text".equals(MessagesRead.string(block, "type", path))) throw MessagesRead.fail(path + ".type", "Input should be 'text'");
            parts.add(new Part.Text(MessagesRead.string(block, "text", path), MessagesRead.rest(block, "type", "text")));
        }
        return parts;
    }

    private static Message message(JsonNode node, String path) {
        ObjectNode m = MessagesRead.object(node, path);
        Role role = switch (MessagesRead.string(m, "role", path)) {
            case "user" -> Role.USER;
            case "assistant" -> Role.ASSISTANT;
            case "system" -> Role.SYSTEM;
            default -> throw MessagesRead.fail(path + ".role", "Input should be 'user' or 'assistant'");
        };
        JsonNode content = MessagesRead.present(m, "content");
        if (content == null) throw MessagesRead.fail(path + ".content", "Field required");
        return new Message(role, content(content, path + ".content"), null, MessagesRead.rest(m, "role", "content"));
    }

    private static List<Part> content(JsonNode content, String path) {
        if (content.isTextual()) return List.of(Part.Text.of(content.asText()));
        if (!content.isArray()) throw MessagesRead.fail(path, "Input should be a valid string or a list of content blocks");
        var parts = new ArrayList<Part>(content.size());
        for (int i = 0; i < content.size(); i++) parts.add(block(content.get(i), path + "." + i));
        return parts;
    }

    private static Part block(JsonNode node, String path) {
        ObjectNode b = MessagesRead.object(node, path);
        return switch (MessagesRead.string(b, "type", path)) {
            case "text" -> new Part.Text(MessagesRead.string(b, "text", path), MessagesRead.rest(b, "type", "text"));
            case "image" -> image(b, path);
            case "document" -> document(b, path);
            case "tool_use" -> new Part.ToolCall(MessagesRead.string(b, "id", path), MessagesRead.string(b, "name", path),
                    Json.string(MessagesRead.object(b, "input", path)), MessagesRead.rest(b, "type", "id", "name", "input"));
            case "tool_result" -> {
                JsonNode inner = MessagesRead.present(b, "content");
                yield new Part.ToolResult(MessagesRead.string(b, "tool_use_id", path),
                        inner == null ? List.of() : content(inner, path + ".content"),
                        Boolean.TRUE.equals(MessagesRead.bool(b, "is_error", path)), false,
                        MessagesRead.rest(b, "type", "tool_use_id", "content", "is_error"));
            }
            case "thinking" -> new Part.Reasoning(MessagesRead.string(b, "thinking", path), MessagesRead.string(b, "signature", path),
                    null, false, null, null, MessagesRead.rest(b, "type", "thinking", "signature"));
            case "redacted_thinking" -> new Part.Reasoning(null, null, MessagesRead.string(b, "data", path), true, null, null,
                    MessagesRead.rest(b, "type", "data"));
            case String type -> new Part.Opaque(WireFormat.ANTHROPIC_MESSAGES, type, b);
        };
    }

    private static Part image(ObjectNode b, String path) {
        ObjectNode source = MessagesRead.object(b, "source", path);
        String at = path + ".source";
        return switch (MessagesRead.string(source, "type", at)) {
            case "base64" -> new Part.Image(null, MessagesRead.string(source, "media_type", at), MessagesRead.string(source, "data", at),
                    null, MessagesRead.rest(b, "type", "source"));
            case "url" -> new Part.Image(MessagesRead.string(source, "url", at), null, null, null, MessagesRead.rest(b, "type", "source"));
            default -> new Part.Opaque(WireFormat.ANTHROPIC_MESSAGES, "image", b);
        };
    }

    /** A document; its {@code source} also stays in {@code extra}, since some source types have no typed field. */
    private static Part document(ObjectNode b, String path) {
        ObjectNode source = MessagesRead.object(b, "source", path);
        String at = path + ".source";
        String title = MessagesRead.optString(b, "title", path);
        String mediaType = MessagesRead.optString(source, "media_type", at);
        ObjectNode extra = MessagesRead.rest(b, "type", "title");
        return switch (MessagesRead.string(source, "type", at)) {
            case "base64" -> new Part.File(null, title, mediaType, MessagesRead.string(source, "data", at), null, null, extra);
            case "text" -> new Part.File(null, title, mediaType, null, null, MessagesRead.string(source, "data", at), extra);
            case "url" -> new Part.File(null, title, mediaType, null, MessagesRead.string(source, "url", at), null, extra);
            case "file" -> new Part.File(MessagesRead.string(source, "file_id", at), title, mediaType, null, null, null, extra);
            default -> new Part.File(null, title, mediaType, null, null, null, extra);
        };
    }

    private static List<Tool> tools(JsonNode tools) {
        if (tools == null) return List.of();
        if (!tools.isArray()) throw MessagesRead.fail("tools", "Input should be a valid list");
        var out = new ArrayList<Tool>(tools.size());
        for (int i = 0; i < tools.size(); i++) {
            String path = "tools." + i;
            ObjectNode t = MessagesRead.object(tools.get(i), path);
            String type = MessagesRead.optString(t, "type", path);
            if (type == null || "custom".equals(type)) {
                out.add(new Tool("function", MessagesRead.string(t, "name", path), MessagesRead.optString(t, "description", path),
                        MessagesRead.object(t, "input_schema", path), MessagesRead.bool(t, "strict", path),
                        MessagesRead.rest(t, "type", "name", "description", "input_schema", "strict")));
            } else {
                out.add(new Tool(type, MessagesRead.optString(t, "name", path), null, null, null, t));
            }
        }
        return out;
    }

    private static void toolChoice(JsonNode node, LlmRequest.Builder b) {
        if (node == null) return;
        ObjectNode tc = MessagesRead.object(node, "tool_choice");
        b.toolChoice(switch (MessagesRead.string(tc, "type", "tool_choice")) {
            case "auto" -> new ToolChoice.Auto();
            case "any" -> new ToolChoice.Required();
            case "none" -> new ToolChoice.None();
            case "tool" -> new ToolChoice.Named(MessagesRead.string(tc, "name", "tool_choice"));
            default -> throw MessagesRead.fail("tool_choice.type", "Input should be 'auto', 'any', 'tool' or 'none'");
        });
        if (Boolean.TRUE.equals(MessagesRead.bool(tc, "disable_parallel_tool_use", "tool_choice"))) b.parallelToolCalls(false);
    }

    /**
     * An internal request read from another format as an Anthropic request body for {@code upstreamModel}.
     * Anthropic has no {@code response_format}: a requested JSON schema is asked for in the system prompt, best
     * effort, and the answer is not checked against it. Fails with a 400 for content Anthropic cannot take
     * (tool call arguments that are not a JSON object, an image data URL that is not base64).
     */
    public static ObjectNode encodeRequest(LlmRequest req, String upstreamModel) {
        boolean own = req.format() == WireFormat.ANTHROPIC_MESSAGES;
        ObjectNode out = Json.object().put("model", upstreamModel);
        var system = new ArrayList<Part.Text>();
        var turns = new Turns();
        for (int i = 0; i < req.messages().size(); i++) {
            Message m = req.messages().get(i);
            if (m.role() == Role.SYSTEM || m.role() == Role.DEVELOPER) {
                system.addAll(m.parts(Part.Text.class));
            } else {
                turns.append(m.role() == Role.ASSISTANT ? "assistant" : "user",
                        MessagesBlocks.request(m.parts(), own, "messages." + i));
            }
        }
        JsonNode systemField = systemField(system, jsonInstruction(req.responseFormat()), own);
        if (systemField != null) out.set("system", systemField);
        out.set("messages", turns.toJson());

        // Anthropic rejects thinking with a forced tool choice; the explicit tool choice wins.
        boolean forcedTool = req.toolChoice() instanceof ToolChoice.Required || req.toolChoice() instanceof ToolChoice.Named;
        Integer budget = forcedTool ? null : thinkingBudget(req, own);
        int maxTokens = req.maxTokens() != null ? req.maxTokens() : DEFAULT_MAX_TOKENS;
        if (budget != null) {
            // max_tokens must exceed budget_tokens: the client's own limit is kept for the visible answer.
            if (maxTokens <= budget) maxTokens += budget;
            out.putObject("thinking").put("type", "enabled").put("budget_tokens", budget);
        }
        out.put("max_tokens", maxTokens);
        // Anthropic's temperature ranges 0..1 (OpenAI's 0..2); with thinking it rejects any temperature and top_p < 0.95.
        if (req.temperature() != null && budget == null) out.put("temperature", Math.min(req.temperature(), 1.0));
        if (req.topP() != null && (budget == null || req.topP() >= 0.95)) out.put("top_p", req.topP());
        if (!req.stop().isEmpty()) req.stop().forEach(out.putArray("stop_sequences")::add);
        ArrayNode tools = tools(req.tools(), own);
        if (!tools.isEmpty()) {
            out.set("tools", tools);
            ObjectNode choice = toolChoice(req.toolChoice(), req.parallelToolCalls());
            if (choice != null) out.set("tool_choice", choice);
        }
        if (req.user() != null) out.putObject("metadata").put("user_id", req.user());
        if (req.stream()) out.put("stream", true);
        // This format's extras hold whole the objects read only in part (thinking, metadata): they win.
        if (own) req.extra().properties().forEach(e -> out.set(e.getKey(), e.getValue().deepCopy()));
        return out;
    }

    private static JsonNode systemField(List<Part.Text> system, String instruction, boolean own) {
        var parts = new ArrayList<Part.Text>(system);
        if (instruction != null) parts.add(Part.Text.of(instruction));
        parts.removeIf(t -> t.text().isEmpty());
        if (parts.isEmpty()) return null;
        if (own && parts.stream().anyMatch(t -> !t.extra().isEmpty())) return MessagesBlocks.request(parts, true, "system");
        var sb = new StringBuilder();
        for (Part.Text t : parts) sb.append(sb.isEmpty() ? "" : "\n\n").append(t.text());
        return Json.NODES.textNode(sb.toString());
    }

    private static String jsonInstruction(JsonNode responseFormat) {
        String type = Json.text(responseFormat, "type");
        if ("json_object".equals(type)) return "Respond with only a valid JSON object, and no other text.";
        if (!"json_schema".equals(type)) return null;
        JsonNode schema = responseFormat.path("json_schema").path("schema");
        return "Respond with only a JSON value that conforms to this JSON Schema, and no other text:\n"
                + Json.string(schema.isMissingNode() ? Json.object() : schema);
    }

    /** The thinking budget: the request's own, or one for an OpenAI reasoning effort (never for this format's effort). */
    private static Integer thinkingBudget(LlmRequest req, boolean own) {
        if (req.thinkingBudget() != null) return req.thinkingBudget();
        if (own || req.reasoningEffort() == null) return null;
        return switch (req.reasoningEffort()) {
            case "minimal", "low" -> 1024;
            case "medium" -> 4096;
            case "high" -> 16384;
            default -> null;
        };
    }

    /** Function and custom tools; hosted tools cross no formats, so only this format's own are written. */
    private static ArrayNode tools(List<Tool> tools, boolean own) {
        ArrayNode out = Json.array();
        for (Tool t : tools) {
            if (t.isFunction() || t.isCustom()) {
                ObjectNode o = out.addObject().put("name", t.name());
                if (t.description() != null) o.put("description", t.description());
                o.set("input_schema", t.isCustom() ? MessagesBlocks.customInputSchema()
                        : t.parameters() != null ? t.parameters().deepCopy()
                        : Json.object().put("type", "object").set("properties", Json.object()));
                if (own) Extras.mergeInto(t.extra(), o);
            } else if (own) {
                out.add(t.extra().deepCopy());
            }
        }
        return out;
    }

    private static ObjectNode toolChoice(ToolChoice choice, Boolean parallel) {
        ObjectNode tc = switch (choice) {
            case null -> null;
            case ToolChoice.Auto a -> Json.object().put("type", "auto");
            case ToolChoice.Required r -> Json.object().put("type", "any");
            case ToolChoice.Named n -> Json.object().put("type", "tool").put("name", n.name());
            case ToolChoice.None n -> Json.object().put("type", "none");
        };
        if (Boolean.FALSE.equals(parallel) && !(choice instanceof ToolChoice.None)) {
            if (tc == null) tc = Json.object().put("type", "auto");
            tc.put("disable_parallel_tool_use", true);
        }
        return tc;
    }

    /**
     * An Anthropic response body as an internal response with one choice; {@code raw} is {@code body}. A body
     * without {@code id} and a {@code content} list, or with a malformed block, is the upstream's fault (502).
     * Anthropic gives no creation time, so {@code created} is 0.
     */
    public static LlmResponse decodeResponse(ObjectNode body) {
        JsonNode content = body.get("content");
        if (Json.text(body, "id") == null) throw malformed("id");
        if (content == null || !content.isArray()) throw malformed("content");
        var parts = new ArrayList<Part>(content.size());
        try {
            for (int i = 0; i < content.size(); i++) parts.add(block(content.get(i), "content." + i));
        } catch (ArbiterException.BadRequest e) {
            throw malformed(e.param());
        }
        var choice = new Choice(0, new Message(Role.ASSISTANT, parts, null, null),
                FinishReason.fromAnthropic(Json.text(body, "stop_reason")), Json.text(body, "stop_sequence"), null);
        return new LlmResponse(Json.text(body, "id"), Json.text(body, "model"), 0, List.of(choice),
                usage(body.path("usage")), WireFormat.ANTHROPIC_MESSAGES, body);
    }

    /** Anthropic usage in the internal convention: input counts cache reads and writes too. */
    static Usage usage(JsonNode u) {
        long read = Json.longOr(u, "cache_read_input_tokens", 0);
        long write = Json.longOr(u, "cache_creation_input_tokens", 0);
        return new Usage(Json.longOr(u, "input_tokens", 0) + read + write, Json.longOr(u, "output_tokens", 0), read, write,
                0, false);
    }

    private static ArbiterException.Upstream malformed(String at) {
        return new ArbiterException.Upstream(502, "upstream answered with a malformed message (at " + at + ")",
                "upstream_bad_response", null);
    }

    /**
     * An internal response as the body a Messages client expects. One that came from an Anthropic upstream is
     * returned as it came; any other is rebuilt from its first choice, naming {@code model}.
     */
    public static ObjectNode encodeResponse(LlmResponse r, String model) {
        if (r.format() == WireFormat.ANTHROPIC_MESSAGES && r.raw() != null) return r.raw().deepCopy();
        Choice choice = r.choices().isEmpty() ? null : r.choices().getFirst();
        ObjectNode out = Json.object().put("id", messageId(r.id())).put("type", "message").put("role", "assistant")
                .put("model", model);
        out.set("content", MessagesBlocks.response(r.firstMessage().parts(), r.format() == WireFormat.ANTHROPIC_MESSAGES));
        FinishReason reason = choice == null || choice.finishReason() == null ? FinishReason.STOP : choice.finishReason();
        out.put("stop_reason", reason.toAnthropic());
        out.put("stop_sequence", choice == null ? null : choice.stopSequence());
        out.set("stop_details", stopDetails(reason));
        out.putNull("container");
        out.set("usage", usageJson(r.usage()));
        return out;
    }

    /**
     * {@code stop_details}, which Anthropic's schema requires (nullable) on a message and in {@code message_delta}:
     * a refusal's details, whose category and explanation Arbiter does not know, else null.
     */
    static JsonNode stopDetails(FinishReason reason) {
        if (reason != FinishReason.REFUSAL) return Json.NODES.nullNode();
        return Json.object().put("type", "refusal").putNull("category").putNull("explanation");
    }

    /**
     * Usage as Anthropic reports it on a message: {@code input_tokens} excludes what was read from or written to
     * the cache. The fields the schema requires but Arbiter cannot know for another format's answer (the cache
     * writes by lifetime, server tool use, service tier, inference region) are null.
     */
    static ObjectNode usageJson(Usage u) {
        ObjectNode o = usageCounts(u.uncachedInputTokens(), u.cacheWriteTokens(), u.cacheReadTokens(), u.outputTokens());
        o.putNull("cache_creation");
        o.putNull("server_tool_use");
        o.putNull("service_tier");
        o.putNull("inference_geo");
        return o;
    }

    /** Usage as {@code message_delta} reports it (the schema's MessageDeltaUsage); null usage has only output tokens. */
    static ObjectNode deltaUsageJson(Usage u) {
        ObjectNode o = u == null ? Json.object().putNull("input_tokens").putNull("cache_creation_input_tokens")
                .putNull("cache_read_input_tokens").put("output_tokens", 0)
                : usageCounts(u.uncachedInputTokens(), u.cacheWriteTokens(), u.cacheReadTokens(), u.outputTokens());
        return o.putNull("server_tool_use");
    }

    static ObjectNode usageCounts(long input, long cacheWrite, long cacheRead, long output) {
        return Json.object()
                .put("input_tokens", input)
                .put("cache_creation_input_tokens", cacheWrite)
                .put("cache_read_input_tokens", cacheRead)
                .put("output_tokens", output);
    }

    /** A message id for an answer from another format: {@code msg_} and the upstream's id, tidied. */
    static String messageId(String upstreamId) {
        if (upstreamId == null || upstreamId.isEmpty()) return "msg_" + UUID.randomUUID().toString().replace("-", "");
        if (upstreamId.startsWith("msg_")) return upstreamId;
        return "msg_" + upstreamId.replaceAll("[^A-Za-z0-9_]", "");
    }

    /** Turns being built: adjacent turns of one role merge, since Anthropic requires user and assistant to alternate. */
    private static final class Turns {
        private final List<ObjectNode> turns = new ArrayList<>();

        void append(String role, ArrayNode blocks) {
            if (blocks.isEmpty()) return;
            ObjectNode last = turns.isEmpty() ? null : turns.getLast();
            if (last != null && role.equals(Json.text(last, "role"))) {
                ((ArrayNode) last.get("content")).addAll(blocks);
            } else {
                turns.add(Json.object().put("role", role).set("content", blocks));
            }
        }

        /** The turns, tool results first within each turn: Anthropic rejects text before a tool_result. */
        ArrayNode toJson() {
            ArrayNode out = Json.array();
            for (ObjectNode turn : turns) {
                ArrayNode ordered = Json.array();
                for (JsonNode b : turn.get("content")) if ("tool_result".equals(Json.text(b, "type"))) ordered.add(b);
                for (JsonNode b : turn.get("content")) if (!"tool_result".equals(Json.text(b, "type"))) ordered.add(b);
                out.add(Json.object().put("role", Json.text(turn, "role")).set("content", ordered));
            }
            return out;
        }
    }
}
