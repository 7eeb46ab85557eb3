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

/** Typed reads of request fields, failing with a 400 that names the field's path as Anthropic does. */
final class MessagesRead {
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
