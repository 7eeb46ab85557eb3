package dev.arbiter.chat;

import dev.arbiter.wire.Fields;
import dev.arbiter.wire.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.Tool;
import dev.arbiter.llm.ToolChoice;
import dev.arbiter.llm.WireFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * OpenAI chat completions requests, and the legacy completions and embeddings requests, to and from the
 * internal model. Decoding validates what Arbiter relies on and keeps everything else in {@code extra};
 * a chat upstream receives the client's own body ({@code raw}), so decoding never has to be lossless.
 */
public final class ChatCodec {
    private static final Set<String> CHAT_FIELDS = Set.of("model", "messages", "stream", "stream_options", "tools",
            "tool_choice", "parallel_tool_calls", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop",
            "response_format", "reasoning_effort", "user");

    /**
     * OpenAI's bounds on the fields that multiply an answer ({@code n} choices, {@code best_of} candidates,
     * log probabilities per token) or a batch (embedding inputs, completion prompts): checked here so that no
     * request can make a backend, the in-process mock above all, build an answer without bound.
     */
    static final int MAX_N = 128;
    static final int MAX_BEST_OF = 20;
    public static final int MAX_LOGPROBS = 20;
    static final int MAX_INPUTS = 2048;

    private ChatCodec() {}

    public static LlmRequest decodeRequest(ObjectNode body) {
        String model = Fields.requiredString(body, "model", "model");
        JsonNode msgs = Fields.present(body, "messages");
        if (msgs == null) throw Fields.missing("messages");
        if (!msgs.isArray()) throw Fields.invalidType("messages", "an array", msgs);
        if (msgs.isEmpty()) throw Fields.invalidValue("messages", "expected an array with minimum length 1, but got an empty array instead.");
        var messages = new ArrayList<Message>(msgs.size());
        for (int i = 0; i < msgs.size(); i++) messages.add(decodeMessage(msgs.get(i), "messages[" + i + "]"));
        boolean stream = Boolean.TRUE.equals(Fields.optionalBool(body, "stream", "stream"));
        boolean includeUsage = false;
        JsonNode so = Fields.present(body, "stream_options");
        if (so != null) {
            Fields.object(so, "stream_options");
            includeUsage = Boolean.TRUE.equals(Fields.optionalBool(so, "include_usage", "stream_options.include_usage"));
        }
        Integer max = Fields.optionalInt(body, "max_completion_tokens", "max_completion_tokens", 1);
        if (max == null) max = Fields.optionalInt(body, "max_tokens", "max_tokens", 1);
        Fields.optionalInt(body, "n", "n", 1, MAX_N);
        Fields.optionalBool(body, "logprobs", "logprobs");
        Fields.optionalInt(body, "top_logprobs", "top_logprobs", 0, MAX_LOGPROBS);
        return LlmRequest.builder(Operation.CHAT, WireFormat.OPENAI_CHAT)
                .model(model)
                .stream(stream)
                .includeUsage(includeUsage)
                .messages(messages)
                .tools(decodeTools(body))
                .toolChoice(decodeToolChoice(Fields.present(body, "tool_choice")))
                .parallelToolCalls(Fields.optionalBool(body, "parallel_tool_calls", "parallel_tool_calls"))
                .maxTokens(max)
                .temperature(Fields.optionalNumber(body, "temperature", "temperature", 0, 2))
                .topP(Fields.optionalNumber(body, "top_p", "top_p", 0, 1))
                .stop(Fields.stringOrStrings(body, "stop", "stop"))
                .responseFormat(responseFormat(body))
                .reasoningEffort(Fields.optionalString(body, "reasoning_effort", "reasoning_effort"))
                .user(Fields.optionalString(body, "user", "user"))
                .extra(Fields.extras(body, CHAT_FIELDS))
                .raw(body)
                .build();
    }

    private static JsonNode responseFormat(ObjectNode body) {
        JsonNode rf = Fields.present(body, "response_format");
        if (rf == null) return null;
        Fields.object(rf, "response_format");
        Fields.requiredString(rf, "type", "response_format.type");
        return rf;
    }

    static Message decodeMessage(JsonNode m, String path) {
        ObjectNode obj = Fields.object(m, path);
        String roleName = Fields.requiredString(obj, "role", path + ".role");
        Role role = Role.parse(roleName).orElseThrow(() -> Fields.invalidValue(path + ".role",
                "'" + roleName + "' is not one of ['system', 'developer', 'user', 'assistant', 'tool']."));
        var parts = new ArrayList<Part>();
        JsonNode content = Fields.present(obj, "content");
        if (role == Role.ASSISTANT) {
            String reasoning = Json.text(obj, "reasoning_content");
            if (reasoning == null) reasoning = Json.text(obj, "reasoning");
            if (reasoning != null) parts.add(new Part.Reasoning(reasoning, null, null, false, null, null, null));
        }
        if (role == Role.TOOL) {
            String callId = Fields.requiredString(obj, "tool_call_id", path + ".tool_call_id");
            List<Part> result = content == null ? List.of() : contentParts(content, path + ".content");
            parts.add(new Part.ToolResult(callId, result, false, false, null));
        } else if (content != null) {
            parts.addAll(contentParts(content, path + ".content"));
        } else if (role != Role.ASSISTANT) {
            throw Fields.missing(path + ".content");
        }
        JsonNode calls = Fields.present(obj, "tool_calls");
        if (calls != null) {
            if (role != Role.ASSISTANT) throw Fields.invalidValue(path + ".tool_calls", "only assistant messages may have tool_calls.");
            if (!calls.isArray()) throw Fields.invalidType(path + ".tool_calls", "an array", calls);
            for (int i = 0; i < calls.size(); i++) parts.add(decodeToolCall(calls.get(i), path + ".tool_calls[" + i + "]"));
        }
        String name = Fields.optionalString(obj, "name", path + ".name");
        return new Message(role, parts, name, Fields.extras(obj, Set.of("role", "content", "tool_calls", "tool_call_id",
                "name", "reasoning_content", "reasoning")));
    }

    private static Part decodeToolCall(JsonNode c, String path) {
        ObjectNode call = Fields.object(c, path);
        String id = Fields.requiredString(call, "id", path + ".id");
        String type = Fields.optionalString(call, "type", path + ".type");
        if ("custom".equals(type)) {
            ObjectNode custom = Fields.object(Fields.present(call, "custom"), path + ".custom");
            return new Part.CustomToolCall(id, Fields.requiredString(custom, "name", path + ".custom.name"),
                    Fields.optionalString(custom, "input", path + ".custom.input"), null);
        }
        JsonNode fn = Fields.present(call, "function");
        if (fn == null) throw Fields.missing(path + ".function");
        ObjectNode f = Fields.object(fn, path + ".function");
        return new Part.ToolCall(id, Fields.requiredString(f, "name", path + ".function.name"),
                Fields.optionalString(f, "arguments", path + ".function.arguments"), null);
    }

    static List<Part> contentParts(JsonNode content, String path) {
        if (content.isTextual()) return List.of(Part.Text.of(content.asText()));
        if (!content.isArray()) throw Fields.invalidType(path, "one of a string or an array of objects", content);
        var out = new ArrayList<Part>(content.size());
        for (int i = 0; i < content.size(); i++) {
            String p = path + "[" + i + "]";
            ObjectNode part = Fields.object(content.get(i), p);
            String type = Fields.requiredString(part, "type", p + ".type");
            out.add(switch (type) {
                case "text" -> new Part.Text(Fields.requiredString(part, "text", p + ".text"),
                        Fields.extras(part, Set.of("type", "text")));
                case "image_url" -> {
                    JsonNode iu = Fields.present(part, "image_url");
                    if (iu == null) throw Fields.missing(p + ".image_url");
                    String url = iu.isTextual() ? iu.asText() : Fields.requiredString(Fields.object(iu, p + ".image_url"), "url", p + ".image_url.url");
                    yield new Part.Image(url, null, null, Json.text(iu, "detail"), Fields.extras(part, Set.of("type", "image_url")));
                }
                case "file" -> {
                    ObjectNode f = Fields.object(Fields.present(part, "file"), p + ".file");
                    yield new Part.File(Json.text(f, "file_id"), Json.text(f, "filename"), null, dataOf(Json.text(f, "file_data")),
                            null, null, Fields.extras(part, Set.of("type", "file")));
                }
                default -> new Part.Opaque(WireFormat.OPENAI_CHAT, type, part);
            });
        }
        return out;
    }

    private static String dataOf(String dataUrl) {
        if (dataUrl == null) return null;
        int comma = dataUrl.indexOf(',');
        return dataUrl.startsWith("data:") && comma > 0 ? dataUrl.substring(comma + 1) : dataUrl;
    }

    private static List<Tool> decodeTools(ObjectNode body) {
        JsonNode tools = Fields.present(body, "tools");
        if (tools == null) return List.of();
        if (!tools.isArray()) throw Fields.invalidType("tools", "an array", tools);
        var out = new ArrayList<Tool>(tools.size());
        for (int i = 0; i < tools.size(); i++) {
            String p = "tools[" + i + "]";
            ObjectNode t = Fields.object(tools.get(i), p);
            String type = Fields.requiredString(t, "type", p + ".type");
            switch (type) {
                case "function" -> {
                    ObjectNode f = Fields.object(Fields.present(t, "function"), p + ".function");
                    JsonNode params = Fields.present(f, "parameters");
                    if (params != null) Fields.object(params, p + ".function.parameters");
                    out.add(new Tool("function", Fields.requiredString(f, "name", p + ".function.name"),
                            Fields.optionalString(f, "description", p + ".function.description"), params,
                            Fields.optionalBool(f, "strict", p + ".function.strict"), null));
                }
                case "custom" -> {
                    ObjectNode c = Fields.object(Fields.present(t, "custom"), p + ".custom");
                    out.add(new Tool("custom", Fields.requiredString(c, "name", p + ".custom.name"),
                            Fields.optionalString(c, "description", p + ".custom.description"), null, null,
                            Fields.extras(c, Set.of("name", "description"))));
                }
                default -> out.add(new Tool(type, Json.text(t, "name"), null, null, null, t));
            }
        }
        return out;
    }

    static ToolChoice decodeToolChoice(JsonNode tc) {
        if (tc == null) return null;
        if (tc.isTextual()) {
            return switch (tc.asText()) {
                case "auto" -> new ToolChoice.Auto();
                case "none" -> new ToolChoice.None();
                case "required" -> new ToolChoice.Required();
                default -> throw Fields.invalidValue("tool_choice", "'" + tc.asText() + "' is not one of ['none', 'auto', 'required'] or an object.");
            };
        }
        ObjectNode o = Fields.object(tc, "tool_choice");
        JsonNode fn = o.get("function");
        if (fn != null && fn.isObject()) return new ToolChoice.Named(Fields.requiredString(fn, "name", "tool_choice.function.name"));
        JsonNode custom = o.get("custom");
        if (custom != null && custom.isObject()) return new ToolChoice.Named(Fields.requiredString(custom, "name", "tool_choice.custom.name"));
        return new ToolChoice.Auto();
    }

    /** A legacy {@code /v1/completions} request: the prompt is kept as {@code input} and as one user message. */
    public static LlmRequest decodeCompletion(ObjectNode body) {
        String model = Fields.requiredString(body, "model", "model");
        JsonNode prompt = Fields.present(body, "prompt");
        if (prompt == null) throw Fields.missing("prompt");
        if (!prompt.isTextual() && !prompt.isArray()) throw Fields.invalidType("prompt", "a string or an array", prompt);
        if (prompt.isArray() && prompt.isEmpty()) throw Fields.invalidValue("prompt", "expected a non-empty array.");
        if (!tokenIds(prompt)) Fields.maxLength(prompt, "prompt", MAX_INPUTS);
        Fields.optionalInt(body, "n", "n", 1, MAX_N);
        Fields.optionalInt(body, "best_of", "best_of", 1, MAX_BEST_OF);
        Fields.optionalInt(body, "logprobs", "logprobs", 0, MAX_LOGPROBS);
        String text = prompt.isTextual() ? prompt.asText() : prompt.get(0).isTextual() ? prompt.get(0).asText() : null;
        boolean stream = Boolean.TRUE.equals(Fields.optionalBool(body, "stream", "stream"));
        JsonNode so = Fields.present(body, "stream_options");
        boolean includeUsage = so != null && Boolean.TRUE.equals(Fields.optionalBool(Fields.object(so, "stream_options"),
                "include_usage", "stream_options.include_usage"));
        return LlmRequest.builder(Operation.COMPLETION, WireFormat.OPENAI_CHAT)
                .model(model)
                .stream(stream)
                .includeUsage(includeUsage)
                .input(prompt)
                .messages(text == null ? List.of() : List.of(Message.text(Role.USER, text)))
                .maxTokens(Fields.optionalInt(body, "max_tokens", "max_tokens", 1))
                .temperature(Fields.optionalNumber(body, "temperature", "temperature", 0, 2))
                .topP(Fields.optionalNumber(body, "top_p", "top_p", 0, 1))
                .stop(Fields.stringOrStrings(body, "stop", "stop"))
                .user(Fields.optionalString(body, "user", "user"))
                .extra(Fields.extras(body, Set.of("model", "prompt", "stream", "stream_options", "max_tokens",
                        "temperature", "top_p", "stop", "user")))
                .raw(body)
                .build();
    }

    /** An array of token ids is one input, however long; any other array is a batch of inputs. */
    private static boolean tokenIds(JsonNode array) {
        for (JsonNode x : array) if (!x.isIntegralNumber()) return false;
        return true;
    }

    public static LlmRequest decodeEmbedding(ObjectNode body) {
        String model = Fields.requiredString(body, "model", "model");
        JsonNode input = Fields.present(body, "input");
        if (input == null) throw Fields.missing("input");
        if (!input.isTextual() && !input.isArray()) throw Fields.invalidType("input", "a string or an array", input);
        if (input.isArray()) {
            if (input.isEmpty()) throw Fields.invalidValue("input", "expected a non-empty array.");
            if (!tokenIds(input)) Fields.maxLength(input, "input", MAX_INPUTS);
            for (int i = 0; i < input.size(); i++) {
                JsonNode e = input.get(i);
                if (!e.isTextual() && !e.isIntegralNumber() && !e.isArray()) {
                    throw Fields.invalidType("input[" + i + "]", "a string, a token or an array of tokens", e);
                }
            }
        }
        String format = Fields.optionalString(body, "encoding_format", "encoding_format");
        if (format != null && !format.equals("float") && !format.equals("base64")) {
            throw Fields.invalidValue("encoding_format", "'" + format + "' is not one of ['float', 'base64'].");
        }
        Fields.optionalInt(body, "dimensions", "dimensions", 1);
        return LlmRequest.builder(Operation.EMBEDDING, WireFormat.OPENAI_CHAT)
                .model(model)
                .input(input)
                .user(Fields.optionalString(body, "user", "user"))
                .extra(Fields.extras(body, Set.of("model", "input", "user")))
                .raw(body)
                .build();
    }

    /**
     * A chat completions body for a request that arrived in another format. Reasoning goes as
     * {@code reasoning_content} on its assistant message, never as content; tool results become {@code tool}
     * messages placed before the rest of their user turn; a custom tool becomes a function with one string
     * parameter {@code input}; tools a chat backend cannot run (hosted tools) are left out.
     */
    public static ObjectNode encodeRequest(LlmRequest req, String upstreamModel) {
        ObjectNode out = Json.object();
        out.put("model", upstreamModel);
        ArrayNode messages = out.putArray("messages");
        for (Message m : req.messages()) encodeMessage(m, messages);
        ArrayNode tools = Json.array();
        for (Tool t : req.tools()) {
            if (t.isFunction() || t.isCustom()) tools.add(encodeTool(t));
        }
        if (!tools.isEmpty()) {
            out.set("tools", tools);
            if (req.toolChoice() != null) out.set("tool_choice", encodeToolChoice(req.toolChoice()));
            if (req.parallelToolCalls() != null) out.put("parallel_tool_calls", req.parallelToolCalls());
        }
        if (req.maxTokens() != null) out.put("max_tokens", req.maxTokens());
        if (req.temperature() != null) out.put("temperature", req.temperature());
        if (req.topP() != null) out.put("top_p", req.topP());
        if (!req.stop().isEmpty()) {
            ArrayNode stop = out.putArray("stop");
            req.stop().forEach(stop::add);
        }
        if (req.responseFormat() != null) out.set("response_format", req.responseFormat());
        String effort = req.reasoningEffort() != null ? req.reasoningEffort() : effortOf(req.thinkingBudget());
        if (effort != null) out.put("reasoning_effort", effort);
        if (req.user() != null) out.put("user", req.user());
        if (req.stream()) {
            out.put("stream", true);
            out.putObject("stream_options").put("include_usage", true);
        }
        return out;
    }

    /** A thinking budget in tokens as a chat reasoning effort. */
    static String effortOf(Integer budget) {
        if (budget == null) return null;
        return budget < 2048 ? "low" : budget < 8192 ? "medium" : "high";
    }

    private static void encodeMessage(Message m, ArrayNode out) {
        switch (m.role()) {
            case SYSTEM, DEVELOPER -> {
                // "system" everywhere: OpenAI treats it as developer for reasoning models; many servers lack "developer".
                ObjectNode o = out.addObject().put("role", "system");
                o.put("content", m.text());
            }
            case TOOL, USER -> {
                var rest = new ArrayList<Part>();
                for (Part p : m.parts()) {
                    if (p instanceof Part.ToolResult r) {
                        out.addObject().put("role", "tool").put("tool_call_id", r.callId())
                                .put("content", r.isError() && !r.text().startsWith("Error") ? "Error: " + r.text() : r.text());
                    } else {
                        rest.add(p);
                    }
                }
                JsonNode content = encodeContent(rest);
                if (m.parts().isEmpty() || !rest.isEmpty() && !(content.isArray() && content.isEmpty())) {
                    ObjectNode o = out.addObject().put("role", "user");
                    o.set("content", content);
                    if (m.name() != null) o.put("name", m.name());
                }
            }
            case ASSISTANT -> {
                ObjectNode o = out.addObject().put("role", "assistant");
                String text = m.text();
                var reasoning = new StringBuilder();
                ArrayNode calls = Json.array();
                for (Part p : m.parts()) {
                    switch (p) {
                        case Part.ToolCall c -> calls.addObject().put("id", c.id()).put("type", "function")
                                .putObject("function").put("name", c.name()).put("arguments", c.arguments());
                        case Part.CustomToolCall c -> calls.addObject().put("id", c.id()).put("type", "function")
                                .putObject("function").put("name", c.name())
                                .put("arguments", Json.string(Json.object().put("input", c.input())));
                        case Part.Reasoning r when r.text() != null && !r.redacted() -> reasoning.append(r.text());
                        default -> { }
                    }
                }
                if (!text.isEmpty() || calls.isEmpty()) o.put("content", text);
                else o.putNull("content");
                if (!calls.isEmpty()) o.set("tool_calls", calls);
                if (!reasoning.isEmpty()) o.put("reasoning_content", reasoning.toString());
            }
        }
    }

    private static JsonNode encodeContent(List<Part> parts) {
        if (parts.stream().allMatch(p -> p instanceof Part.Text)) {
            var sb = new StringBuilder();
            for (Part p : parts) sb.append(((Part.Text) p).text());
            return Json.NODES.textNode(sb.toString());
        }
        ArrayNode arr = Json.array();
        for (Part p : parts) {
            switch (p) {
                case Part.Text t -> arr.addObject().put("type", "text").put("text", t.text());
                case Part.Image i -> {
                    ObjectNode iu = arr.addObject().put("type", "image_url").putObject("image_url").put("url", i.asUrl());
                    if (i.detail() != null) iu.put("detail", i.detail());
                }
                case Part.File f -> {
                    ObjectNode file = arr.addObject().put("type", "file").putObject("file");
                    if (f.fileId() != null) file.put("file_id", f.fileId());
                    if (f.filename() != null) file.put("filename", f.filename());
                    if (f.base64() != null) file.put("file_data", "data:" + (f.mediaType() == null ? "application/pdf" : f.mediaType())
                            + ";base64," + f.base64());
                    if (f.text() != null) arr.addObject().put("type", "text").put("text", f.text());
                }
                case Part.Opaque o when o.format() == WireFormat.OPENAI_CHAT -> arr.add(o.raw());
                default -> { }
            }
        }
        return arr;
    }

    private static ObjectNode encodeTool(Tool t) {
        ObjectNode o = Json.object().put("type", "function");
        ObjectNode f = o.putObject("function").put("name", t.name());
        if (t.description() != null) f.put("description", t.description());
        if (t.isCustom()) {
            ObjectNode params = f.putObject("parameters").put("type", "object");
            params.putObject("properties").putObject("input").put("type", "string");
            params.putArray("required").add("input");
        } else {
            f.set("parameters", t.parameters() == null ? Json.object().put("type", "object") : t.parameters());
            if (t.strict() != null) f.put("strict", t.strict());
        }
        return o;
    }

    private static JsonNode encodeToolChoice(ToolChoice c) {
        return switch (c) {
            case ToolChoice.Auto a -> Json.NODES.textNode("auto");
            case ToolChoice.None n -> Json.NODES.textNode("none");
            case ToolChoice.Required r -> Json.NODES.textNode("required");
            case ToolChoice.Named n -> {
                ObjectNode o = Json.object().put("type", "function");
                o.putObject("function").put("name", n.name());
                yield o;
            }
        };
    }
}
