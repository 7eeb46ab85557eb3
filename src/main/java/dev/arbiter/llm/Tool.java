package dev.arbiter.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A tool offered to the model. {@code type} is "function" or "custom" (freeform input), or the wire type of
 * a hosted tool (e.g. "web_search") that only some backends honour; {@code parameters} is a JSON Schema;
 * {@code extra} keeps unmodelled fields (e.g. {@code cache_control}, {@code defer_loading}, a custom tool's
 * grammar).
 */
public record Tool(String type, String name, String description, JsonNode parameters, Boolean strict,
                   ObjectNode extra) {
    public Tool {
        type = type == null ? "function" : type;
        extra = extra == null ? Extras.none() : extra;
    }

    public boolean isFunction() {
        return "function".equals(type);
    }

    public boolean isCustom() {
        return "custom".equals(type);
    }
}
