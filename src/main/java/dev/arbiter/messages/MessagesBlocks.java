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
 * Internal parts as Anthropic content blocks. Toward a request only what Anthropic accepts back is written
 * (thinking only with its signature); toward a response unsigned reasoning shows as thinking with an empty
 * signature. Parts that cannot be expressed (another format's opaque parts) are left out.
 */
final class MessagesBlocks {
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
            case Part.Text t -> t.text().isEmpty() ? null : response ? textBlock(t.text()) : typed("text").put("text", t.text());
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

    /**
     * A text block of an answer. No {@code citations} key when there are none, as Anthropic's own API answers: its
     * schema allows null, but clients validate against what the API sends, and the Vercel AI SDK (an array or absent,
     * never null) refuses a whole answer whose text block says {@code "citations": null} (seen in agents/run.sh; the
     * same break is reported against proxies that add it).
     */
    static ObjectNode textBlock(String text) {
        return typed("text").put("text", text);
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
