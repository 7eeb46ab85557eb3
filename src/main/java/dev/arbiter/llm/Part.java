package dev.arbiter.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * One ordered piece of a message: the superset of OpenAI content parts, tool calls, Responses items and
 * Anthropic content blocks. Each variant keeps the wire fields it does not model in {@code extra}
 * (e.g. {@code cache_control}, {@code citations}), tagged with the format they came from by the
 * request or response that holds them. Nullable components are optional wire fields.
 */
public sealed interface Part {

    /** Plain text. */
    record Text(String text, ObjectNode extra) implements Part {
        public Text {
            text = text == null ? "" : text;
            extra = extra == null ? Extras.none() : extra;
        }

        public static Text of(String text) {
            return new Text(text, null);
        }
    }

    /** An image, either by URL (http(s) or data:) or as base64 data with its media type. */
    record Image(String url, String mediaType, String base64, String detail, ObjectNode extra) implements Part {
        public Image {
            extra = extra == null ? Extras.none() : extra;
        }

        /** The image as a URL, building a data URL from base64 data when needed. */
        public String asUrl() {
            return url != null ? url : "data:" + (mediaType == null ? "image/png" : mediaType) + ";base64," + base64;
        }
    }

    /** A document or file (PDF, text), by id, URL or inline data. */
    record File(String fileId, String filename, String mediaType, String base64, String url, String text,
                ObjectNode extra) implements Part {
        public File {
            extra = extra == null ? Extras.none() : extra;
        }
    }

    /** A function tool call made by the assistant; {@code arguments} is JSON text exactly as produced. */
    record ToolCall(String id, String name, String arguments, ObjectNode extra) implements Part {
        public ToolCall {
            arguments = arguments == null || arguments.isEmpty() ? "{}" : arguments;
            extra = extra == null ? Extras.none() : extra;
        }
    }

    /** A freeform (custom) tool call: {@code input} is raw text, e.g. a patch. */
    record CustomToolCall(String id, String name, String input, ObjectNode extra) implements Part {
        public CustomToolCall {
            input = input == null ? "" : input;
            extra = extra == null ? Extras.none() : extra;
        }
    }

    /** The result of a tool call, matched to it by {@code callId}. */
    record ToolResult(String callId, List<Part> content, boolean isError, boolean custom, ObjectNode extra)
            implements Part {
        public ToolResult {
            content = content == null ? List.of() : List.copyOf(content);
            extra = extra == null ? Extras.none() : extra;
        }

        /** The text of the result, parts joined; non-text parts are skipped. */
        public String text() {
            var sb = new StringBuilder();
            for (Part p : content) if (p instanceof Text t) sb.append(t.text());
            return sb.toString();
        }
    }

    /**
     * Model reasoning. {@code signature} is Anthropic's thinking signature, {@code encrypted} the Responses
     * {@code encrypted_content}; both are opaque and forwarded byte for byte. {@code redacted} marks Anthropic's
     * {@code redacted_thinking}, whose opaque payload is in {@code encrypted}.
     */
    record Reasoning(String text, String signature, String encrypted, boolean redacted, String id,
                     List<String> summary, ObjectNode extra) implements Part {
        public Reasoning {
            summary = summary == null ? List.of() : List.copyOf(summary);
            extra = extra == null ? Extras.none() : extra;
        }
    }

    /** A part or block of a type Arbiter does not model, kept verbatim; only its own format can carry it. */
    record Opaque(WireFormat format, String type, JsonNode raw) implements Part {}
}
