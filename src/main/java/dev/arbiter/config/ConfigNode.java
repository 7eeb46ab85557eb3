package dev.arbiter.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A cursor over the parsed YAML tree that knows its path and records every problem instead of stopping at
 * the first. Jackson's data binding stops at the first unknown or mistyped key; a config author wants them
 * all at once, named by path, so the walking is done here by hand.
 */
final class ConfigNode {
    private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\{[A-Za-z_][A-Za-z0-9_]*}");
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?");

    private final JsonNode node;
    private final String path;
    private final List<String> problems;
    private final Set<String> read = new HashSet<>();

    ConfigNode(JsonNode node, String path, List<String> problems) {
        this.node = node == null ? MissingNode.getInstance() : node;
        this.path = path;
        this.problems = problems;
    }

    String path() {
        return path;
    }

    JsonNode raw() {
        return node;
    }

    boolean present() {
        return !node.isMissingNode() && !node.isNull();
    }

    boolean has(String key) {
        return node.has(key) && !node.get(key).isNull();
    }

    private String at(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    ConfigNode child(String key) {
        read.add(key);
        JsonNode c = node.get(key);
        if (c != null && !c.isNull() && !c.isObject()) {
            problem(at(key), c, "a mapping of keys to values");
            return new ConfigNode(MissingNode.getInstance(), at(key), problems);
        }
        return new ConfigNode(c, at(key), problems);
    }

    List<ConfigNode> list(String key) {
        read.add(key);
        JsonNode c = node.get(key);
        var out = new ArrayList<ConfigNode>();
        if (c == null || c.isNull()) return out;
        if (!c.isArray()) {
            problem(at(key), c, "a list");
            return out;
        }
        for (int i = 0; i < c.size(); i++) out.add(new ConfigNode(c.get(i), at(key) + "[" + i + "]", problems));
        return out;
    }

    List<String> fieldNames() {
        var out = new ArrayList<String>();
        if (node.isObject()) node.fieldNames().forEachRemaining(out::add);
        return out;
    }

    String string(String key, String dflt) {
        return scalar(key, dflt, "a string", n -> n.isValueNode() && !n.isBoolean() ? n.asText() : null);
    }

    List<String> strings(String key) {
        read.add(key);
        JsonNode c = node.get(key);
        var out = new ArrayList<String>();
        if (c == null || c.isNull()) return out;
        if (c.isTextual()) return List.of(c.asText());
        if (!c.isArray()) {
            problem(at(key), c, "a list of strings");
            return out;
        }
        for (JsonNode e : c) {
            if (e.isTextual()) out.add(e.asText());
            else problem(at(key), e, "a string");
        }
        return out;
    }

    int integer(String key, int dflt) {
        Long v = scalar(key, (long) dflt, "an integer", ConfigNode::parseLong);
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            problem(at(key), v, "an integer of at most " + Integer.MAX_VALUE);
            return dflt;
        }
        return v.intValue();
    }

    Integer optionalInteger(String key) {
        return has(key) ? integer(key, 0) : markRead(key);
    }

    long longValue(String key, long dflt) {
        return scalar(key, dflt, "an integer", ConfigNode::parseLong);
    }

    double number(String key, double dflt) {
        return scalar(key, dflt, "a number", ConfigNode::parseDouble);
    }

    Double optionalNumber(String key) {
        return has(key) ? number(key, 0) : markRead(key);
    }

    boolean bool(String key, boolean dflt) {
        return scalar(key, dflt, "true or false", ConfigNode::parseBoolean);
    }

    Duration duration(String key, Duration dflt) {
        return scalar(key, dflt, "a duration such as 500ms, 30s, 5m", ConfigNode::parseDuration);
    }

    URI uri(String key) {
        String s = string(key, null);
        if (s == null) return null;
        try {
            URI u = new URI(s);
            return u.getPath() != null && u.getPath().endsWith("/")
                    ? new URI(s.substring(0, s.length() - 1)) : u;
        } catch (Exception e) {
            problem(at(key), s, "an absolute http(s) URL");
            return null;
        }
    }

    /** Marks an optional key as read when it is absent, returning null. */
    <T> T markUnset(String key) {
        return markRead(key);
    }

    private <T> T markRead(String key) {
        read.add(key);
        return null;
    }

    private <T> T scalar(String key, T dflt, String expected, Function<JsonNode, T> parse) {
        read.add(key);
        JsonNode c = node.get(key);
        if (c == null || c.isNull()) return dflt;
        T v = c.isContainerNode() ? null : parse.apply(c);
        if (v == null) {
            problem(at(key), c, expected);
            return dflt;
        }
        return v;
    }

    // The parsers return null for a value of the wrong type, which scalar() reports as a problem. They are
    // plain methods on purpose: a conditional expression mixing long and Long unboxes its null and throws.

    /** An integer that fits a long: a YAML integer, or a string of digits (e.g. from an environment variable). */
    private static Long parseLong(JsonNode n) {
        if (n.isIntegralNumber()) {
            if (!n.canConvertToLong()) return null;
            return n.asLong();
        }
        if (!n.isTextual() || !n.asText().trim().matches("-?\\d{1,19}")) return null;
        try {
            return Long.parseLong(n.asText().trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Double parseDouble(JsonNode n) {
        double d;
        if (n.isNumber()) d = n.asDouble();
        else if (!n.isTextual()) return null;
        else {
            try {
                d = Double.parseDouble(n.asText().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return Double.isFinite(d) ? d : null;
    }

    private static Boolean parseBoolean(JsonNode n) {
        if (n.isBoolean()) return n.asBoolean();
        if (n.isTextual() && (n.asText().equals("true") || n.asText().equals("false"))) return Boolean.parseBoolean(n.asText());
        return null;
    }

    static Duration parseDuration(JsonNode n) {
        if (n.isNumber()) return Duration.ofMillis(Math.round(n.asDouble() * 1000));
        if (!n.isTextual()) return null;
        var m = DURATION.matcher(n.asText().trim());
        if (!m.matches()) return null;
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        double millis = switch (unit) {
            case "ms" -> v;
            case "s" -> v * 1000;
            case "m" -> v * 60_000;
            default -> v * 3_600_000;
        };
        return Duration.ofNanos(Math.round(millis * 1_000_000));
    }

    void problem(String where, Object value, String expected) {
        problems.add(ConfigException.problem(where, describe(where, value), expected));
    }

    /**
     * A value as a problem line shows it; a credential's value never (a mistyped {@code api-key: [sk-...]} is still
     * a key), only a reference to the environment variable that should hold it.
     */
    private static Object describe(String where, Object value) {
        String text = value instanceof JsonNode j ? (j.isTextual() ? j.asText() : j.toString()) : String.valueOf(value);
        if (Secret.heldBy(where) && !ENV_REFERENCE.matcher(text).matches()) return "(hidden)";
        return text.isEmpty() ? "\"\"" : text;
    }

    /** Reports every key of this mapping that no one read: unknown keys are errors. */
    void rejectUnknown(String expectedKeys) {
        if (!node.isObject()) return;
        node.fieldNames().forEachRemaining(k -> {
            if (!read.contains(k)) problems.add(ConfigException.problem(at(k), "unknown key", expectedKeys));
        });
    }

    /** Runs a record constructor, turning its validation failure into problems under this path. */
    <T> T build(java.util.function.Supplier<T> ctor) {
        try {
            return ctor.get();
        } catch (ConfigException e) {
            for (String p : e.problems()) {
                String q = qualify(p);
                // a value already reported as unreadable (then replaced by null or its default) is not reported twice
                String where = q.contains(": ") ? q.substring(0, q.indexOf(": ") + 2) : q;
                if (problems.stream().noneMatch(old -> old.startsWith(where))) problems.add(q);
            }
            return null;
        }
    }

    /**
     * Puts a record's problem under this node's path. Records name their own fields relative to themselves,
     * sometimes with their section's name in front ("mock.latency.mean"): the overlapping part is not doubled.
     */
    private String qualify(String problem) {
        if (path.isEmpty() || problem.startsWith(path)) return problem;
        String[] segments = path.split("\\.");
        for (int k = segments.length; k >= 1; k--) {
            String suffix = String.join(".", java.util.Arrays.copyOfRange(segments, segments.length - k, segments.length));
            if (problem.startsWith(suffix + ".")) {
                String head = String.join(".", java.util.Arrays.copyOfRange(segments, 0, segments.length - k));
                return head.isEmpty() ? problem : head + "." + problem;
            }
        }
        return path + "." + problem;
    }
}
