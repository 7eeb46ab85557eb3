package dev.arbiter.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cursor over the parsed YAML tree that knows its path and records every problem instead of stopping at the
 * first: what a {@link Section}'s binder reads its block through. Jackson's data binding stops at the first unknown
 * or mistyped key; a config author wants them all at once, named by path, so the walking is done here by hand.
 *
 * <p>Every key a binder asks about (read, {@link #has}, {@link #child}, {@link #list}) is a key this mapping
 * expects; once every section is bound, the loader reports each other key as unknown, listing the expected ones in
 * the order the binder asked for them. So a binder never writes its key list twice.
 *
 * <p>{@code ${VAR}} and {@code ${VAR:-default}} are replaced from the environment as a value is read (a missing
 * variable is a problem at that key), except by {@link #secret}, which keeps the reference to show instead of the
 * value. Reads of a key with a wrong-typed value report it and return the default, so binding goes on.
 */
public final class ConfigNode {
    private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\{[A-Za-z_][A-Za-z0-9_]*}");

    /** What every cursor over one file shares: its problems, the environment, and the cursors made so far. */
    private record Tree(List<String> problems, Function<String, String> env, List<ConfigNode> cursors) {}

    private final JsonNode node;
    private final String path;
    private final Tree tree;
    /** The keys a binder asked about, in the order it did. */
    private final Set<String> read = new LinkedHashSet<>();
    private final Map<String, ConfigNode> children = new HashMap<>();
    private final Map<String, List<ConfigNode>> lists = new HashMap<>();
    /** Whether this node was found to be of the wrong shape (a list where a mapping belongs, or the reverse). */
    private boolean shapeReported;
    private String hint;

    private ConfigNode(JsonNode node, String path, Tree tree) {
        this.node = node == null ? MissingNode.getInstance() : node;
        this.path = path;
        this.tree = tree;
        tree.cursors().add(this);
    }

    /** The cursor at the top of a file; its problems collect in {@code problems}. */
    static ConfigNode root(JsonNode node, Function<String, String> env, List<String> problems) {
        return new ConfigNode(node, "", new Tree(problems, env, new ArrayList<>()));
    }

    /** Where this node is in the file, e.g. {@code models[0].deployments[1].mock}; empty at the top. */
    public String path() {
        return path;
    }

    /** The node as parsed, before any {@code ${VAR}} is replaced: for checking its shape. */
    public JsonNode raw() {
        return node;
    }

    public boolean present() {
        return !node.isMissingNode() && !node.isNull();
    }

    /** Whether the key is set (to anything but null); the key counts as expected here. */
    public boolean has(String key) {
        JsonNode c = field(key);
        return c != null && !c.isNull();
    }

    private String at(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /**
     * The value of a key of this mapping, marking the key as expected. Reading a key of a node that is present but not
     * a mapping reports that, once, and reads as absent.
     */
    private JsonNode field(String key) {
        read.add(key);
        if (!present()) return null;
        if (!node.isObject()) {
            if (!shapeReported) problem(path, node, "a mapping of keys to values");
            shapeReported = true;
            return null;
        }
        return node.get(key);
    }

    /** A nested mapping; absent (with a problem) when the key holds something else. */
    public ConfigNode child(String key) {
        ConfigNode known = children.get(key);
        if (known != null) return known;
        JsonNode c = field(key);
        if (c != null && !c.isNull() && !c.isObject()) {
            problem(at(key), c, "a mapping of keys to values");
            c = null;
        }
        var child = new ConfigNode(c, at(key), tree);
        children.put(key, child);
        return child;
    }

    /**
     * The value at a key, whatever its shape: what a section's binder is given. A binder that reads keys of it gets a
     * problem if it is not a mapping; one that reads {@link #items()} gets one if it is not a list.
     */
    ConfigNode entry(String key) {
        ConfigNode known = children.get(key);
        if (known != null) return known;
        var child = new ConfigNode(field(key), at(key), tree);
        children.put(key, child);
        return child;
    }

    /** Whether a binder already asked about this key (a section may not claim a key Arbiter reads itself). */
    boolean asked(String key) {
        return read.contains(key);
    }

    /** The entries of a list at a key; none (with a problem) when the key holds something else. */
    public List<ConfigNode> list(String key) {
        List<ConfigNode> known = lists.get(key);
        if (known != null) return known;
        JsonNode c = field(key);
        var out = new ArrayList<ConfigNode>();
        if (c != null && !c.isNull() && !c.isArray()) problem(at(key), c, "a list");
        else if (c != null) {
            for (int i = 0; i < c.size(); i++) out.add(new ConfigNode(c.get(i), at(key) + "[" + i + "]", tree));
        }
        lists.put(key, List.copyOf(out));
        return lists.get(key);
    }

    /** The entries of this node, for a section whose block is a list (e.g. {@code fallbacks: [a, b]}). */
    public List<ConfigNode> items() {
        var out = new ArrayList<ConfigNode>();
        if (!present()) return out;
        if (!node.isArray()) {
            if (!shapeReported) problem(path, node, "a list");
            shapeReported = true;
            return out;
        }
        for (int i = 0; i < node.size(); i++) out.add(new ConfigNode(node.get(i), path + "[" + i + "]", tree));
        return out;
    }

    /** This node as a string (e.g. an entry of {@link #items()}), or null, with a problem when it is not one. */
    public String text() {
        if (!present()) return null;
        if (node.isContainerNode() || node.isBoolean()) {
            problem(path, node, "a string");
            return null;
        }
        JsonNode v = substituted(node, path);
        return v == null ? null : v.asText();
    }

    /** The keys of this mapping, e.g. of a map of header names to values; each counts as expected. */
    public List<String> fieldNames() {
        var out = new ArrayList<String>();
        if (node.isObject()) node.fieldNames().forEachRemaining(out::add);
        read.addAll(out);
        return out;
    }

    /**
     * A note to the list of expected keys when an unknown key is found here, e.g. the unit the values are in:
     * {@code price.pounds: unknown key (expected: one of input, output (US dollars per million tokens))}.
     */
    public void hint(String note) {
        this.hint = note;
    }

    public String string(String key, String dflt) {
        return scalar(key, dflt, "a string", n -> n.isValueNode() && !n.isBoolean() ? n.asText() : null);
    }

    /** A list of strings; a single string stands for a list of one. */
    public List<String> strings(String key) {
        JsonNode c = field(key);
        var out = new ArrayList<String>();
        if (c == null || c.isNull()) return out;
        if (!c.isArray() && !c.isTextual()) {
            problem(at(key), c, "a list of strings");
            return out;
        }
        List<JsonNode> elements = new ArrayList<>();
        if (c.isTextual()) elements.add(c);
        else c.forEach(elements::add);
        for (int i = 0; i < elements.size(); i++) {
            JsonNode e = elements.get(i);
            if (!e.isTextual()) {
                problem(at(key), e, "a string");
                continue;
            }
            JsonNode v = substituted(e, c.isArray() ? at(key) + "[" + i + "]" : at(key));
            if (v != null) out.add(v.asText());
        }
        return out;
    }

    public int integer(String key, int dflt) {
        Long v = scalar(key, (long) dflt, "an integer", Scalars::parseLong);
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            problem(at(key), v, "an integer of at most " + Integer.MAX_VALUE);
            return dflt;
        }
        return v.intValue();
    }

    /** An integer, or null when the key is not set. */
    public Integer optionalInteger(String key) {
        return has(key) ? integer(key, 0) : null;
    }

    public long longValue(String key, long dflt) {
        return scalar(key, dflt, "an integer", Scalars::parseLong);
    }

    public double number(String key, double dflt) {
        return scalar(key, dflt, "a number", Scalars::parseDouble);
    }

    /** A number, or null when the key is not set. */
    public Double optionalNumber(String key) {
        return has(key) ? number(key, 0) : null;
    }

    public boolean bool(String key, boolean dflt) {
        return scalar(key, dflt, "true or false", Scalars::parseBoolean);
    }

    /** A duration such as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}; a bare number is seconds. */
    public Duration duration(String key, Duration dflt) {
        return scalar(key, dflt, "a duration such as 500ms, 30s, 5m, 1h or 30d", Scalars::parseDuration);
    }

    /** An absolute URL without a trailing slash, or null when unset or unreadable (with a problem). */
    public URI uri(String key) {
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

    /**
     * A credential, or null when the key is unset or its {@code ${VAR:-}} default is empty. Usually a reference to
     * the environment ({@code ${OPENAI_API_KEY}}), which stays its shown source; a literal works but shows as
     * {@code (literal)}. Its value is never in a problem line.
     */
    public Secret secret(String key) {
        String raw = scalar(key, null, "a string", n -> n.isValueNode() && !n.isBoolean() ? n.asText() : null, false);
        if (raw == null) return null;
        Matcher m = Scalars.ENV.matcher(raw);
        if (m.matches()) {
            String v = tree.env().apply(m.group(1));
            if ((v == null || v.isEmpty()) && m.group(2) != null) v = m.group(2);
            if ((v == null || v.isEmpty()) && m.group(2) != null) return null;
            if (v == null || v.isEmpty()) {
                problem(at(key), raw, "environment variable " + m.group(1) + " to be set");
                return null;
            }
            return new Secret(v, raw);
        }
        // A literal key in the file works, but is never echoed back: its source reads as "(literal)".
        return new Secret(raw, "(literal)");
    }

    private <T> T scalar(String key, T dflt, String expected, Function<JsonNode, T> parse) {
        return scalar(key, dflt, expected, parse, true);
    }

    private <T> T scalar(String key, T dflt, String expected, Function<JsonNode, T> parse, boolean substitute) {
        JsonNode c = field(key);
        if (c == null || c.isNull()) return dflt;
        if (substitute && !c.isContainerNode()) {
            c = substituted(c, at(key));
            if (c == null) return dflt;
        }
        T v = c.isContainerNode() ? null : parse.apply(c);
        if (v == null) {
            problem(at(key), c, expected);
            return dflt;
        }
        return v;
    }

    /**
     * A scalar with each {@code ${VAR}} (or {@code ${VAR:-default}}) replaced from the environment; null, with a
     * problem naming the variable, when one is unset and has no default.
     */
    private JsonNode substituted(JsonNode n, String where) {
        if (!n.isTextual() || !n.asText().contains("${")) return n;
        String s = n.asText();
        Matcher m = Scalars.ENV.matcher(s);
        var sb = new StringBuilder();
        boolean missing = false;
        while (m.find()) {
            String v = tree.env().apply(m.group(1));
            if (v == null || v.isEmpty()) v = m.group(2);
            if (v == null) {
                problem(where, m.group(), "environment variable " + m.group(1) + " to be set");
                missing = true;
                v = "";
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(v));
        }
        m.appendTail(sb);
        return missing ? null : TextNode.valueOf(sb.toString());
    }

    /** Reports a problem at a path (usually this node's, or one of its keys'). */
    public void problem(String where, Object value, String expected) {
        tree.problems().add(ConfigException.problem(where, describe(where, value), expected));
    }

    /** How many problems the file has so far. */
    int problemCount() {
        return tree.problems().size();
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

    /**
     * Reports every key that no binder asked about, in every mapping read so far: unknown keys are errors. The
     * expected keys listed are the ones the binder asked about, in its order.
     */
    void rejectUnknownKeys() {
        for (ConfigNode n : List.copyOf(tree.cursors())) n.rejectUnknown();
    }

    private void rejectUnknown() {
        if (!node.isObject() || shapeReported) return; // a mapping where a list belongs is one problem, not one per key
        String expected = read.isEmpty() ? "no keys here" : read.size() == 1 ? read.iterator().next()
                : "one of " + String.join(", ", read);
        if (hint != null) expected += " (" + hint + ")";
        for (String k : (Iterable<String>) node::fieldNames) {
            if (!read.contains(k)) problem(at(k), "unknown key", expected);
        }
    }

    /**
     * Runs a record constructor, turning its validation failure into problems under this path; null when it
     * failed.
     */
    public <T> T build(Supplier<T> ctor) {
        try {
            return ctor.get();
        } catch (ConfigException e) {
            for (String p : e.problems()) {
                String q = qualify(p);
                // a value already reported as unreadable (then replaced by null or its default) is not reported twice
                String where = q.contains(": ") ? q.substring(0, q.indexOf(": ") + 2) : q;
                if (tree.problems().stream().noneMatch(old -> old.startsWith(where))) tree.problems().add(q);
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
            String suffix = String.join(".", Arrays.copyOfRange(segments, segments.length - k, segments.length));
            if (problem.startsWith(suffix + ".")) {
                String head = String.join(".", Arrays.copyOfRange(segments, 0, segments.length - k));
                return head.isEmpty() ? problem : head + "." + problem;
            }
        }
        return path + "." + problem;
    }
}
