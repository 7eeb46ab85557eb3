package dev.arbiter.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Typed reads of request fields that fail with a precise 400 naming the field, in OpenAI's wording
 * ("Invalid type for 'messages[0].content': expected a string, but got an integer instead.").
 */
public final class Fields {
    private Fields() {}

    public static String describe(JsonNode n) {
        if (n == null || n.isMissingNode()) return "nothing";
        return switch (n.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> n.isIntegralNumber() ? "an integer" : "a decimal";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    public static ArbiterException.BadRequest invalidType(String path, String expected, JsonNode got) {
        return new ArbiterException.BadRequest("Invalid type for '" + path + "': expected " + expected + ", but got "
                + describe(got) + " instead.", path, "invalid_type");
    }

    public static ArbiterException.BadRequest missing(String path) {
        return new ArbiterException.BadRequest("Missing required parameter: '" + path + "'.", path, "missing_required_parameter");
    }

    public static ArbiterException.BadRequest invalidValue(String path, String message) {
        return new ArbiterException.BadRequest("Invalid value for '" + path + "': " + message, path, "invalid_value");
    }

    public static JsonNode present(JsonNode obj, String field) {
        JsonNode v = obj.get(field);
        return v == null || v.isNull() ? null : v;
    }

    public static String requiredString(JsonNode obj, String field, String path) {
        JsonNode v = present(obj, field);
        if (v == null) throw missing(path);
        if (!v.isTextual()) throw invalidType(path, "a string", v);
        return v.asText();
    }

    public static String optionalString(JsonNode obj, String field, String path) {
        JsonNode v = present(obj, field);
        if (v == null) return null;
        if (!v.isTextual()) throw invalidType(path, "a string", v);
        return v.asText();
    }

    public static Integer optionalInt(JsonNode obj, String field, String path, int min) {
        JsonNode v = present(obj, field);
        if (v == null) return null;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw invalidType(path, "an integer", v);
        if (v.asInt() < min) throw invalidValue(path, "expected an integer >= " + min + ", got " + v.asInt() + ".");
        return v.asInt();
    }

    /** An integer from {@code min} to {@code max}, refused outside in OpenAI's wording and codes. */
    public static Integer optionalInt(JsonNode obj, String field, String path, int min, int max) {
        JsonNode v = present(obj, field);
        if (v == null) return null;
        if (!v.isIntegralNumber()) throw invalidType(path, "an integer", v);
        if (v.canConvertToInt() && v.asInt() >= min && v.asInt() <= max) return v.asInt();
        boolean above = v.bigIntegerValue().compareTo(java.math.BigInteger.valueOf(max)) > 0;
        throw new ArbiterException.BadRequest("Invalid '" + path + "': integer " + (above ? "above maximum" : "below minimum")
                + " value. Expected a value " + (above ? "<= " + max : ">= " + min) + ", but got " + v.asText() + " instead.",
                path, above ? "integer_above_max_value" : "integer_below_min_value");
    }

    /** Refuses an array of more than {@code max} elements, in OpenAI's wording. */
    public static void maxLength(JsonNode array, String path, int max) {
        if (array != null && array.isArray() && array.size() > max) {
            throw new ArbiterException.BadRequest("Invalid '" + path + "': array too long. Expected an array with maximum length "
                    + max + ", but got an array with length " + array.size() + " instead.", path, "array_above_max_length");
        }
    }

    public static Double optionalNumber(JsonNode obj, String field, String path, double min, double max) {
        JsonNode v = present(obj, field);
        if (v == null) return null;
        if (!v.isNumber()) throw invalidType(path, "a number", v);
        double d = v.asDouble();
        if (d < min || d > max) throw invalidValue(path, "expected a number from " + min + " to " + max + ", got " + v + ".");
        return d;
    }

    public static Boolean optionalBool(JsonNode obj, String field, String path) {
        JsonNode v = present(obj, field);
        if (v == null) return null;
        if (!v.isBoolean()) throw invalidType(path, "a boolean", v);
        return v.asBoolean();
    }

    public static ObjectNode object(JsonNode v, String path) {
        if (!(v instanceof ObjectNode o)) throw invalidType(path, "an object", v);
        return o;
    }

    /** A string or an array of strings, as {@code stop} takes. */
    public static List<String> stringOrStrings(JsonNode obj, String field, String path) {
        JsonNode v = present(obj, field);
        if (v == null) return List.of();
        if (v.isTextual()) return List.of(v.asText());
        if (!v.isArray()) throw invalidType(path, "a string or an array of strings", v);
        var out = new ArrayList<String>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) throw invalidType(path + "[" + i + "]", "a string", v.get(i));
            out.add(v.get(i).asText());
        }
        return out;
    }

    /** The fields of {@code body} not in {@code known}, as a new object. */
    public static ObjectNode extras(ObjectNode body, Set<String> known) {
        ObjectNode out = Json.object();
        var it = body.fields();
        while (it.hasNext()) {
            var e = it.next();
            if (!known.contains(e.getKey())) out.set(e.getKey(), e.getValue());
        }
        return out;
    }
}
