package dev.arbiter.api;

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
        b.model(Read.string(body, "model", ""));
        b.maxTokens(Read.integer(body, "max_tokens", "", 1));
        var messages = new ArrayList<Message>();
        JsonNode system = Read.present(body, "system");
        if (system != null) messages.add(new Message(Role.SYSTEM, system(system), null, null));
        JsonNode list = Read.present(body, "messages");
        if (list == null) throw Read.fail("messages", "Field required");
        if (!list.isArray()) throw Read.fail("messages", "Input should be a valid list");
        if (list.isEmpty()) throw Read.fail("messages", "at least one message is required");
        for (int i = 0; i < list.size(); i++) messages.add(message(list.get(i), "messages." + i));
        b.messages(messages);
        b.tools(tools(Read.present(body, "tools")));
        toolChoice(Read.present(body, "tool_choice"), b);
        b.temperature(Read.unit(body, "temperature"));
        b.topP(Read.unit(body, "top_p"));
        b.stop(Read.strings(body, "stop_sequences", ""));
        b.stream(Boolean.TRUE.equals(Read.bool(body, "stream", "")));
        ObjectNode metadata = Read.optObject(body, "metadata", "");
        if (metadata != null) b.user(Read.optString(metadata, "user_id", "metadata"));
        ObjectNode thinking = Read.optObject(body, "thinking", "");
        if (thinking != null && "enabled".equals(Read.string(thinking, "type", "thinking"))) {
            b.thinkingBudget(Read.integer(thinking, "budget_tokens", "thinking", 1));
        }
        ObjectNode output = Read.optObject(body, "output_config", "");
        if (output != null) b.reasoningEffort(Read.optString(output, "effort", "output_config"));
        b.extra(Read.rest(body, MODELLED));
        return b.build();
    }

    private static List<Part> system(JsonNode system) {
        if (system.isTextual()) return List.of(Part.Text.of(system.asText()));
        if (!system.isArray()) throw Read.fail("system", "Input should be a valid string or a list of text blocks");
        var parts = new ArrayList<Part>();
        for (int i = 0; i < system.size(); i++) {
            String path = "system." + i;
            ObjectNode block = Read.object(system.get(i), path);
            if (!"text".equals(Read.string(block, "type", path))) throw Read.fail(path + ".type", "Input should be 'text'");
            parts.add(new Part.Text(Read.string(block, "text", path), Read.rest(block, "type", "text")));
        }
        return parts;
    }

    private static Message message(JsonNode node, String path) {
        ObjectNode m = Read.object(node, path);
        Role role = switch (Read.string(m, "role", path)) {
            case "user" -> Role.USER;
            case "assistant" -> Role.ASSISTANT;
            case "system" -> Role.SYSTEM;
            default -> throw Read.fail(path + ".role", "Input should be 'user' or 'assistant'");
        };
        JsonNode content = Read.present(m, "content");
        if (content == null) throw Read.fail(path + ".content", "Field required");
        return new Message(role, content(content, path + ".content"), null, Read.rest(m, "role", "content"));
    }

    private static List<Part> content(JsonNode content, String path) {
        if (content.isTextual()) return List.of(Part.Text.of(content.asText()));
        if (!content.isArray()) throw Read.fail(path, "Input should be a valid string or a list of content blocks");
        var parts = new ArrayList<Part>(content.size());
        for (int i = 0; i < content.size(); i++) parts.add(block(content.get(i), path + "." + i));
        return parts;
    }

    private static Part block(JsonNode node, String path) {
        ObjectNode b = Read.object(node, path);
        return switch (Read.string(b, "type", path)) {
            case "text" -> new Part.Text(Read.string(b, "text", path), Read.rest(b, "type", "text"));
            case "image" -> image(b, path);
            case "document" -> document(b, path);
            case "tool_use" -> new Part.ToolCall(Read.string(b, "id", path), Read.string(b, "name", path),
                    Json.string(Read.object(b, "input", path)), Read.rest(b, "type", "id", "name", "input"));
            case "tool_result" -> {
                JsonNode inner = Read.present(b, "content");
                yield new Part.ToolResult(Read.string(b, "tool_use_id", path),
                        inner == null ? List.of() : content(inner, path + ".content"),
                        Boolean.TRUE.equals(Read.bool(b, "is_error", path)), false,
                        Read.rest(b, "type", "tool_use_id", "content", "is_error"));
            }
            case "thinking" -> new Part.Reasoning(Read.string(b, "thinking", path), Read.string(b, "signature", path),
                    null, false, null, null, Read.rest(b, "type", "thinking", "signature"));
            case "redacted_thinking" -> new Part.Reasoning(null, null, Read.string(b, "data", path), true, null, null,
                    Read.rest(b, "type", "data"));
            case String type -> new Part.Opaque(WireFormat.ANTHROPIC_MESSAGES, type, b);
        };
    }

    private static Part image(ObjectNode b, String path) {
        ObjectNode source = Read.object(b, "source", path);
        String at = path + ".source";
        return switch (Read.string(source, "type", at)) {
            case "base64" -> new Part.Image(null, Read.string(source, "media_type", at), Read.string(source, "data", at),
                    null, Read.rest(b, "type", "source"));
            case "url" -> new Part.Image(Read.string(source, "url", at), null, null, null, Read.rest(b, "type", "source"));
            default -> new Part.Opaque(WireFormat.ANTHROPIC_MESSAGES, "image", b);
        };
    }

    /** A document; its {@code source} also stays in {@code extra}, since some source types have no typed field. */
    private static Part document(ObjectNode b, String path) {
        ObjectNode source = Read.object(b, "source", path);
        String at = path + ".source";
        String title = Read.optString(b, "title", path);
        String mediaType = Read.optString(source, "media_type", at);
        ObjectNode extra = Read.rest(b, "type", "title");
        return switch (Read.string(source, "type", at)) {
            case "base64" -> new Part.File(null, title, mediaType, Read.string(source, "data", at), null, null, extra);
            case "text" -> new Part.File(null, title, mediaType, null, null, Read.string(source, "data", at), extra);
            case "url" -> new Part.File(null, title, mediaType, null, Read.string(source, "url", at), null, extra);
            case "file" -> new Part.File(Read.string(source, "file_id", at), title, mediaType, null, null, null, extra);
            default -> new Part.File(null, title, mediaType, null, null, null, extra);
        };
    }

    private static List<Tool> tools(JsonNode tools) {
        if (tools == null) return List.of();
        if (!tools.isArray()) throw Read.fail("tools", "Input should be a valid list");
        var out = new ArrayList<Tool>(tools.size());
        for (int i = 0; i < tools.size(); i++) {
            String path = "tools." + i;
            ObjectNode t = Read.object(tools.get(i), path);
            String type = Read.optString(t, "type", path);
            if (type == null || "custom".equals(type)) {
                out.add(new Tool("function", Read.string(t, "name", path), Read.optString(t, "description", path),
                        Read.object(t, "input_schema", path), Read.bool(t, "strict", path),
                        Read.rest(t, "type", "name", "description", "input_schema", "strict")));
            } else {
                out.add(new Tool(type, Read.optString(t, "name", path), null, null, null, t));
            }
        }
        return out;
    }

    private static void toolChoice(JsonNode node, LlmRequest.Builder b) {
        if (node == null) return;
        ObjectNode tc = Read.object(node, "tool_choice");
        b.toolChoice(switch (Read.string(tc, "type", "tool_choice")) {
            case "auto" -> new ToolChoice.Auto();
            case "any" -> new ToolChoice.Required();
            case "none" -> new ToolChoice.None();
            case "tool" -> new ToolChoice.Named(Read.string(tc, "name", "tool_choice"));
            default -> throw Read.fail("tool_choice.type", "Input should be 'auto', 'any', 'tool' or 'none'");
        });
        if (Boolean.TRUE.equals(Read.bool(tc, "disable_parallel_tool_use", "tool_choice"))) b.parallelToolCalls(false);
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
                        Blocks.request(m.parts(), own, "messages." + i));
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
        if (own && parts.stream().anyMatch(t -> !t.extra().isEmpty())) return Blocks.request(parts, true, "system");
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
                o.set("input_schema", t.isCustom() ? Blocks.customInputSchema()
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
        out.set("content", Blocks.response(r.firstMessage().parts(), r.format() == WireFormat.ANTHROPIC_MESSAGES));
        FinishReason reason = choice == null || choice.finishReason() == null ? FinishReason.STOP : choice.finishReason();
        out.put("stop_reason", reason.toAnthropic());
        out.put("stop_sequence", choice == null ? null : choice.stopSequence());
        out.set("usage", usageJson(r.usage()));
        return out;
    }

    /** Usage as Anthropic reports it: {@code input_tokens} excludes what was read from or written to the cache. */
    static ObjectNode usageJson(Usage u) {
        return Json.object()
                .put("input_tokens", u.uncachedInputTokens())
                .put("cache_creation_input_tokens", u.cacheWriteTokens())
                .put("cache_read_input_tokens", u.cacheReadTokens())
                .put("output_tokens", u.outputTokens());
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

    /** Typed reads of request fields, failing with a 400 that names the field's path as Anthropic does. */
    private static final class Read {
        static ArbiterException.BadRequest fail(String path, String message) {
            return new ArbiterException.BadRequest(path + ": " + message, path);
        }

        static String path(String at, String field) {
            return at.isEmpty() ? field : at + "." + field;
        }

        static JsonNode present(JsonNode o, String field) {
            JsonNode v = o.get(field);
            return v == null || v.isNull() ? null : v;
        }

        static String string(ObjectNode o, String field, String at) {
            String s = optString(o, field, at);
            if (s == null) throw fail(path(at, field), "Field required");
            return s;
        }

        static String optString(ObjectNode o, String field, String at) {
            JsonNode v = present(o, field);
            if (v != null && !v.isTextual()) throw fail(path(at, field), "Input should be a valid string");
            return v == null ? null : v.asText();
        }

        static int integer(ObjectNode o, String field, String at, int min) {
            JsonNode v = present(o, field);
            String p = path(at, field);
            if (v == null) throw fail(p, "Field required");
            if (!v.isIntegralNumber() || !v.canConvertToInt()) throw fail(p, "Input should be a valid integer");
            if (v.asInt() < min) throw fail(p, "Input should be greater than or equal to " + min);
            return v.asInt();
        }

        static Double number(ObjectNode o, String field, String at) {
            JsonNode v = present(o, field);
            if (v != null && !v.isNumber()) throw fail(path(at, field), "Input should be a valid number");
            return v == null ? null : v.asDouble();
        }

        /** A number from 0 to 1, as Anthropic takes temperature and top_p. */
        static Double unit(ObjectNode o, String field) {
            Double d = number(o, field, "");
            if (d != null && (d < 0 || d > 1)) throw fail(field, "Input should be less than or equal to 1 and greater than or equal to 0");
            return d;
        }

        static Boolean bool(ObjectNode o, String field, String at) {
            JsonNode v = present(o, field);
            if (v != null && !v.isBoolean()) throw fail(path(at, field), "Input should be a valid boolean");
            return v == null ? null : v.asBoolean();
        }

        static List<String> strings(ObjectNode o, String field, String at) {
            JsonNode v = present(o, field);
            if (v == null) return List.of();
            String p = path(at, field);
            if (!v.isArray()) throw fail(p, "Input should be a valid list");
            var out = new ArrayList<String>(v.size());
            for (int i = 0; i < v.size(); i++) {
                if (!v.get(i).isTextual()) throw fail(p + "." + i, "Input should be a valid string");
                out.add(v.get(i).asText());
            }
            return out;
        }

        static ObjectNode object(JsonNode v, String path) {
            if (!(v instanceof ObjectNode o)) throw fail(path, "Input should be a valid dictionary");
            return o;
        }

        static ObjectNode object(ObjectNode o, String field, String at) {
            ObjectNode v = optObject(o, field, at);
            if (v == null) throw fail(path(at, field), "Field required");
            return v;
        }

        static ObjectNode optObject(ObjectNode o, String field, String at) {
            JsonNode v = present(o, field);
            return v == null ? null : object(v, path(at, field));
        }

        /** The fields of {@code o} not {@code named}, or null when there are none. */
        static ObjectNode rest(ObjectNode o, Set<String> named) {
            ObjectNode out = null;
            for (var it = o.properties().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (named.contains(e.getKey())) continue;
                if (out == null) out = Json.object();
                out.set(e.getKey(), e.getValue());
            }
            return out;
        }

        static ObjectNode rest(ObjectNode o, String... named) {
            return rest(o, Set.of(named));
        }
    }

    /**
     * Internal parts as Anthropic content blocks. Toward a request only what Anthropic accepts back is written
     * (thinking only with its signature); toward a response unsigned reasoning shows as thinking with an empty
     * signature. Parts that cannot be expressed (another format's opaque parts) are left out.
     */
    private static final class Blocks {
        static ArrayNode request(List<? extends Part> parts, boolean own, String path) {
            return of(parts, own, false, path);
        }

        static ArrayNode response(List<Part> parts, boolean own) {
            return of(parts, own, true, "content");
        }

        /** The input schema of a freeform tool, whose raw text travels as {@code {"input": text}}. */
        static ObjectNode customInputSchema() {
            ObjectNode schema = Json.object().put("type", "object");
            schema.putObject("properties").putObject("input").put("type", "string");
            schema.putArray("required").add("input");
            return schema;
        }

        private static ArrayNode of(List<? extends Part> parts, boolean own, boolean response, String path) {
            ArrayNode out = Json.array();
            for (Part p : parts) {
                ObjectNode b = block(p, own, response, path);
                if (b != null) out.add(b);
            }
            return out;
        }

        private static ObjectNode block(Part p, boolean own, boolean response, String path) {
            ObjectNode b = switch (p) {
                case Part.Text t -> t.text().isEmpty() ? null : typed("text").put("text", t.text());
                case Part.Image i -> image(i, path);
                case Part.File f -> document(f, own, path);
                case Part.ToolCall c -> toolUse(c.id(), c.name(), input(c, response, path));
                case Part.CustomToolCall c -> toolUse(c.id(), c.name(), Json.object().put("input", c.input()));
                case Part.ToolResult r -> toolResult(r, own, path);
                case Part.Reasoning r -> reasoning(r, response);
                case Part.Opaque o -> o.format() == WireFormat.ANTHROPIC_MESSAGES && o.raw() instanceof ObjectNode raw
                        ? raw.deepCopy() : null;
            };
            if (b != null && own) Extras.mergeInto(extra(p), b);
            return b;
        }

        private static ObjectNode extra(Part p) {
            return switch (p) {
                case Part.Text t -> t.extra();
                case Part.Image i -> i.extra();
                case Part.File f -> f.extra();
                case Part.ToolCall c -> c.extra();
                case Part.CustomToolCall c -> c.extra();
                case Part.ToolResult r -> r.extra();
                case Part.Reasoning r -> r.extra();
                case Part.Opaque o -> null;
            };
        }

        private static ObjectNode typed(String type) {
            return Json.object().put("type", type);
        }

        private static ObjectNode image(Part.Image i, String path) {
            ObjectNode source;
            if (i.base64() != null) {
                source = typed("base64").put("media_type", i.mediaType() == null ? "image/png" : i.mediaType())
                        .put("data", i.base64());
            } else if (i.url() != null) {
                source = i.url().startsWith("data:") ? dataSource(i.url(), path) : typed("url").put("url", i.url());
            } else {
                return null;
            }
            return typed("image").set("source", source);
        }

        private static ObjectNode document(Part.File f, boolean own, String path) {
            ObjectNode source = null;
            if (f.base64() != null) {
                source = typed("base64").put("media_type", f.mediaType() == null ? "application/pdf" : f.mediaType())
                        .put("data", f.base64());
            } else if (f.text() != null) {
                source = typed("text").put("media_type", "text/plain").put("data", f.text());
            } else if (f.url() != null) {
                source = f.url().startsWith("data:") ? dataSource(f.url(), path) : typed("url").put("url", f.url());
            } else if (own && f.fileId() != null) {
                source = typed("file").put("file_id", f.fileId());
            }
            if (source == null && !own) return null;
            ObjectNode b = typed("document");
            if (source != null) b.set("source", source);
            if (f.filename() != null) b.put("title", f.filename());
            return b;
        }

        /** A {@code data:<media type>;base64,<data>} URL as a base64 source. */
        private static ObjectNode dataSource(String url, String path) {
            int comma = url.indexOf(',');
            String meta = comma < 0 ? "" : url.substring("data:".length(), comma);
            if (!meta.endsWith(";base64")) {
                throw new ArbiterException.BadRequest(path + ": data URLs must be base64-encoded (expected: data:<media type>;base64,...)", path);
            }
            return typed("base64").put("media_type", meta.substring(0, meta.length() - ";base64".length()))
                    .put("data", url.substring(comma + 1));
        }

        private static ObjectNode toolUse(String id, String name, ObjectNode input) {
            return typed("tool_use").put("id", id).put("name", name).set("input", input);
        }

        private static ObjectNode input(Part.ToolCall c, boolean response, String path) {
            try {
                if (Json.MAPPER.readTree(c.arguments()) instanceof ObjectNode o) return o;
            } catch (java.io.IOException e) {
                // reported below
            }
            if (response) {
                throw new ArbiterException.Upstream(502, "upstream answered with tool call arguments that are not a JSON object",
                        "upstream_bad_response", null);
            }
            throw new ArbiterException.BadRequest(path + ": the arguments of tool call " + c.id()
                    + " are not a JSON object", path);
        }

        private static ObjectNode toolResult(Part.ToolResult r, boolean own, String path) {
            ObjectNode b = typed("tool_result").put("tool_use_id", r.callId());
            boolean plain = r.content().stream().allMatch(c -> c instanceof Part.Text t && (!own || t.extra().isEmpty()));
            if (plain) b.put("content", r.text());
            else b.set("content", of(r.content(), own, false, path));
            if (r.isError()) b.put("is_error", true);
            return b;
        }

        private static ObjectNode reasoning(Part.Reasoning r, boolean response) {
            if (r.redacted()) return r.encrypted() == null ? null : typed("redacted_thinking").put("data", r.encrypted());
            String text = r.text() != null ? r.text() : String.join("\n\n", r.summary());
            boolean signed = r.signature() != null && !r.signature().isEmpty();
            if (!signed && (!response || text.isEmpty())) return null;
            return typed("thinking").put("thinking", text).put("signature", signed ? r.signature() : "");
        }
    }
}
