package dev.arbiter.responses;

import dev.arbiter.wire.Fields;
import dev.arbiter.wire.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.WireFormat;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Responses request's {@code input} items as conversation turns. Items the assistant produced (reasoning,
 * assistant messages, function and custom tool calls, and unknown items) gather in one assistant message, in
 * their order, until an item of another turn comes; consecutive tool outputs gather in one TOOL message. So a
 * reasoning item stays directly before the calls it led to, and a chat backend gets one assistant message
 * with all its tool calls, followed by their results.
 *
 * <p>A tool output without {@code call_id} (Codex CLI sends one for its goal feature, named and namespaced, after
 * a call of another name) is not refused: it answers the most recent unanswered call of its name, or, with no such
 * call, reads as user text naming the tool, placed after the run of tool outputs it came in so that every call
 * is still followed directly by its results. A Responses upstream gets the client's own item either way (raw).
 */
final class ResponsesInput {
    private ResponsesInput() {}

    static List<Message> decode(JsonNode input, String path) {
        if (input.isTextual()) return List.of(Message.text(Role.USER, input.asText()));
        if (!input.isArray()) throw Fields.invalidType(path, "a string or an array", input);
        var turns = new Turns();
        var open = new OpenCalls();
        for (int i = 0; i < input.size(); i++) {
            String p = path + "[" + i + "]";
            ObjectNode item = Fields.object(input.get(i), p);
            String type = Fields.optionalString(item, "type", p + ".type");
            if (type == null) {
                if (item.has("role")) type = "message";
                else if (item.has("id")) type = "item_reference"; // its type may be left out
                else throw Fields.missing(p + ".type");
            }
            switch (type) {
                case "message" -> message(item, p, turns);
                case "function_call" -> {
                    Part.ToolCall c = functionCall(item, p);
                    open.called(c.name(), c.id());
                    turns.assistant(c, null);
                }
                case "custom_tool_call" -> {
                    var c = new Part.CustomToolCall(Fields.requiredString(item, "call_id", p + ".call_id"),
                            customName(item, p), Fields.requiredString(item, "input", p + ".input"),
                            Fields.extras(item, Set.of("type", "call_id", "name", "input")));
                    open.called(c.name(), c.id());
                    turns.assistant(c, null);
                }
                case "reasoning" -> turns.assistant(reasoning(item, p), null);
                case "function_call_output", "custom_tool_call_output" -> toolOutput(item, p, open, turns);
                default -> {
                    Part opaque = new Part.Opaque(WireFormat.OPENAI_RESPONSES, type, item);
                    if (type.endsWith("_output")) turns.tool(opaque);
                    else turns.assistant(opaque, null);
                }
            }
        }
        return turns.done();
    }

    private static void message(ObjectNode item, String p, Turns turns) {
        String roleName = Fields.requiredString(item, "role", p + ".role");
        Role role = switch (roleName) {
            case "user" -> Role.USER;
            case "assistant" -> Role.ASSISTANT;
            case "system" -> Role.SYSTEM;
            case "developer" -> Role.DEVELOPER;
            default -> throw Fields.invalidValue(p + ".role",
                    "'" + roleName + "' is not one of ['user', 'assistant', 'system', 'developer'].");
        };
        JsonNode content = Fields.present(item, "content");
        if (content == null) throw Fields.missing(p + ".content");
        List<Part> parts = content(content, p + ".content");
        ObjectNode extra = Fields.extras(item, Set.of("type", "role", "content"));
        if (role == Role.ASSISTANT) {
            for (Part part : parts) turns.assistant(part, extra);
        } else {
            turns.other(new Message(role, parts, null, extra));
        }
    }

    private static void toolOutput(ObjectNode item, String p, OpenCalls open, Turns turns) {
        boolean custom = "custom_tool_call_output".equals(Json.text(item, "type"));
        List<Part> output = output(item, p);
        ObjectNode extra = Fields.extras(item, Set.of("type", "call_id", "output"));
        String callId = Fields.optionalString(item, "call_id", p + ".call_id");
        String namespace = Fields.optionalString(item, "namespace", p + ".namespace");
        String name = Fields.optionalString(item, "name", p + ".name");
        if (callId == null && name != null) callId = open.answerLatest(ResponsesTools.flatName(namespace, name));
        if (callId != null) {
            open.answered(callId);
            turns.tool(new Part.ToolResult(callId, output, false, custom, extra));
            return;
        }
        String label = name == null ? "(unnamed)" : namespace == null || namespace.isEmpty() ? name : namespace + "." + name;
        var parts = new ArrayList<Part>(output.size() + 1);
        var text = new StringBuilder("Output of tool ").append(label).append(':');
        for (Part part : output) {
            if (part instanceof Part.Text t) text.append('\n').append(t.text());
            else parts.add(part);
        }
        parts.addFirst(Part.Text.of(text.toString()));
        turns.afterTools(parts);
    }

    private static Part.ToolCall functionCall(ObjectNode item, String p) {
        String namespace = Fields.optionalString(item, "namespace", p + ".namespace");
        return new Part.ToolCall(Fields.requiredString(item, "call_id", p + ".call_id"),
                ResponsesTools.flatName(namespace, Fields.requiredString(item, "name", p + ".name")),
                Fields.requiredString(item, "arguments", p + ".arguments"),
                Fields.extras(item, Set.of("type", "call_id", "name", "arguments")));
    }

    private static String customName(ObjectNode item, String p) {
        return ResponsesTools.flatName(Fields.optionalString(item, "namespace", p + ".namespace"),
                Fields.requiredString(item, "name", p + ".name"));
    }

    static Part.Reasoning reasoning(ObjectNode item, String p) {
        var summary = new ArrayList<String>();
        JsonNode s = Fields.present(item, "summary");
        if (s != null) {
            if (!s.isArray()) throw Fields.invalidType(p + ".summary", "an array", s);
            for (int i = 0; i < s.size(); i++) {
                summary.add(Fields.requiredString(Fields.object(s.get(i), p + ".summary[" + i + "]"), "text",
                        p + ".summary[" + i + "].text"));
            }
        }
        String text = null;
        JsonNode c = Fields.present(item, "content");
        if (c != null) {
            if (!c.isArray()) throw Fields.invalidType(p + ".content", "an array", c);
            var sb = new StringBuilder();
            for (int i = 0; i < c.size(); i++) {
                String t = Json.text(Fields.object(c.get(i), p + ".content[" + i + "]"), "text");
                if (t != null) sb.append(t);
            }
            text = sb.toString();
        }
        return new Part.Reasoning(text, null, Fields.optionalString(item, "encrypted_content", p + ".encrypted_content"),
                false, Fields.optionalString(item, "id", p + ".id"), summary,
                Fields.extras(item, Set.of("type", "id", "summary", "encrypted_content", "content")));
    }

    private static List<Part> output(ObjectNode item, String p) {
        JsonNode out = Fields.present(item, "output");
        if (out == null) throw Fields.missing(p + ".output");
        return content(out, p + ".output");
    }

    /** Message content or tool output: a string, or an array of input and output parts. */
    static List<Part> content(JsonNode content, String path) {
        if (content.isTextual()) return List.of(Part.Text.of(content.asText()));
        if (!content.isArray()) throw Fields.invalidType(path, "a string or an array", content);
        var out = new ArrayList<Part>(content.size());
        for (int i = 0; i < content.size(); i++) {
            String p = path + "[" + i + "]";
            ObjectNode part = Fields.object(content.get(i), p);
            String type = Fields.requiredString(part, "type", p + ".type");
            out.add(switch (type) {
                case "input_text", "output_text" -> new Part.Text(Fields.requiredString(part, "text", p + ".text"),
                        Fields.extras(part, Set.of("type", "text")));
                case "refusal" -> new Part.Text(Fields.requiredString(part, "refusal", p + ".refusal"),
                        Fields.extras(part, Set.of("type", "refusal")).put("refusal", true));
                case "input_image" -> image(part, p);
                case "input_file" -> file(part, p);
                default -> new Part.Opaque(WireFormat.OPENAI_RESPONSES, type, part);
            });
        }
        return out;
    }

    /** An image by URL; one given only by {@code file_id} names an OpenAI file, which no other format can read. */
    private static Part image(ObjectNode part, String p) {
        String url = Fields.optionalString(part, "image_url", p + ".image_url");
        String fileId = Fields.optionalString(part, "file_id", p + ".file_id");
        if (url == null && fileId == null) throw Fields.missing(p + ".image_url");
        if (url == null) return new Part.Opaque(WireFormat.OPENAI_RESPONSES, "input_image", part);
        return new Part.Image(url, null, null, Fields.optionalString(part, "detail", p + ".detail"),
                Fields.extras(part, Set.of("type", "image_url", "detail")));
    }

    private static Part file(ObjectNode part, String p) {
        String data = Fields.optionalString(part, "file_data", p + ".file_data");
        String mediaType = null;
        String base64 = data;
        if (data != null && data.startsWith("data:") && data.indexOf(',') > 0) {
            String meta = data.substring("data:".length(), data.indexOf(','));
            mediaType = meta.endsWith(";base64") ? meta.substring(0, meta.length() - ";base64".length()) : meta;
            base64 = data.substring(data.indexOf(',') + 1);
        }
        return new Part.File(Fields.optionalString(part, "file_id", p + ".file_id"),
                Fields.optionalString(part, "filename", p + ".filename"), mediaType, base64,
                Fields.optionalString(part, "file_url", p + ".file_url"), null,
                Fields.extras(part, Set.of("type", "file_id", "filename", "file_data", "file_url")));
    }

    /** Calls not yet answered, by flat tool name, oldest first. */
    private static final class OpenCalls {
        private final Map<String, List<String>> byName = new HashMap<>();
        private final Map<String, String> nameById = new HashMap<>();

        void called(String name, String id) {
            byName.computeIfAbsent(name, k -> new ArrayList<>()).add(id);
            nameById.put(id, name);
        }

        void answered(String id) {
            String name = nameById.remove(id);
            if (name != null) byName.get(name).remove(id);
        }

        /** The most recent unanswered call of {@code name}, or null. */
        String answerLatest(String name) {
            List<String> ids = byName.get(name);
            return ids == null || ids.isEmpty() ? null : ids.getLast();
        }
    }

    /** Turns being gathered: the open assistant turn, the open run of tool outputs and the text to follow it. */
    private static final class Turns {
        private final List<Message> out = new ArrayList<>();
        private List<Part> assistant;
        private ObjectNode assistantExtra;
        private List<Part> tool;
        private List<Part> afterTools;

        void assistant(Part p, ObjectNode extra) {
            flushTool();
            if (assistant == null) assistant = new ArrayList<>();
            if (assistantExtra == null && extra != null && !extra.isEmpty()) assistantExtra = extra;
            assistant.add(p);
        }

        void tool(Part p) {
            flushAssistant();
            if (tool == null) tool = new ArrayList<>();
            tool.add(p);
        }

        /** User parts that come after the current run of tool outputs, so no call is parted from its result. */
        void afterTools(List<Part> parts) {
            flushAssistant();
            if (afterTools == null) afterTools = new ArrayList<>();
            afterTools.addAll(parts);
        }

        void other(Message m) {
            flushAssistant();
            flushTool();
            out.add(m);
        }

        List<Message> done() {
            flushAssistant();
            flushTool();
            return out;
        }

        private void flushAssistant() {
            if (assistant == null) return;
            out.add(new Message(Role.ASSISTANT, assistant, null, assistantExtra));
            assistant = null;
            assistantExtra = null;
        }

        private void flushTool() {
            if (tool != null) out.add(new Message(Role.TOOL, tool, null, null));
            if (afterTools != null) out.add(new Message(Role.USER, afterTools, null, null));
            tool = null;
            afterTools = null;
        }
    }

    static ArrayNode encodeContent(List<Part> parts) {
        ArrayNode arr = Json.array();
        for (Part p : parts) {
            switch (p) {
                case Part.Text t -> arr.addObject().put("type", "input_text").put("text", t.text());
                case Part.Image i -> arr.addObject().put("type", "input_image").put("image_url", i.asUrl())
                        .put("detail", i.detail() == null ? "auto" : i.detail());
                case Part.File f -> {
                    if (f.fileId() == null && f.base64() == null && f.url() == null) {
                        if (f.text() != null) arr.addObject().put("type", "input_text").put("text", f.text());
                        continue;
                    }
                    ObjectNode o = arr.addObject().put("type", "input_file");
                    if (f.fileId() != null) o.put("file_id", f.fileId());
                    else if (f.base64() != null) o.put("file_data", "data:" + (f.mediaType() == null ? "application/pdf"
                            : f.mediaType()) + ";base64," + f.base64());
                    else o.put("file_url", f.url());
                    if (f.filename() != null) o.put("filename", f.filename());
                }
                case Part.Opaque o when o.format() == WireFormat.OPENAI_RESPONSES -> arr.add(o.raw().deepCopy());
                default -> { }
            }
        }
        return arr;
    }
}
