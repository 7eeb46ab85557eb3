package dev.arbiter.responses;

import dev.arbiter.wire.Fields;
import dev.arbiter.wire.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Tool;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tools of a Responses request in the flat vocabulary every format shares, and the way back.
 *
 * <p>A {@code namespace} tool's members become top-level tools named {@code <namespace>__<tool>}; the namespace,
 * the member's own name and the namespace's description are kept in the tool's extra, so the group can be
 * rebuilt and a call to the flat name answered as the published API does: a {@code function_call} (or
 * {@code custom_tool_call}) whose {@code name} is the member and whose {@code namespace} is the group. A custom
 * (freeform) tool stays custom; a backend that knows only functions calls it with {@code {"input": "<text>"}}.
 * Hosted tools keep their wire item whole in extra and cross no formats.
 */
final class ResponsesTools {
    static final String SEPARATOR = "__";
    static final String NAMESPACE = "namespace";
    static final String NAMESPACE_TOOL = "namespace_tool";
    static final String NAMESPACE_DESCRIPTION = "namespace_description";

    /** What a flat tool name is on the Responses wire: its namespace (or null), its own name, whether freeform. */
    record Target(String namespace, String name, boolean custom) {}

    private final Map<String, Target> byFlatName;

    private ResponsesTools(Map<String, Target> byFlatName) {
        this.byFlatName = byFlatName;
    }

    static ResponsesTools of(LlmRequest req) {
        return of(req == null ? List.of() : req.tools());
    }

    static ResponsesTools of(List<Tool> tools) {
        var map = new HashMap<String, Target>();
        for (Tool t : tools) {
            if (t.name() == null || !(t.isFunction() || t.isCustom())) continue;
            String ns = Json.text(t.extra(), NAMESPACE);
            String own = Json.text(t.extra(), NAMESPACE_TOOL);
            map.put(t.name(), new Target(ns, ns != null && own != null ? own : t.name(), t.isCustom()));
        }
        return new ResponsesTools(map);
    }

    /** The wire form of a call to {@code flatName}; a name the request did not offer is a plain function. */
    Target target(String flatName) {
        Target t = byFlatName.get(flatName);
        return t != null ? t : new Target(null, flatName, false);
    }

    static String flatName(String namespace, String name) {
        return namespace == null || namespace.isEmpty() ? name : namespace + SEPARATOR + name;
    }

    /** A request's {@code tools}, validated, namespaces flattened. */
    static List<Tool> decode(JsonNode tools) {
        if (tools == null) return List.of();
        if (!tools.isArray()) throw Fields.invalidType("tools", "an array", tools);
        var out = new ArrayList<Tool>(tools.size());
        for (int i = 0; i < tools.size(); i++) {
            String p = "tools[" + i + "]";
            ObjectNode t = Fields.object(tools.get(i), p);
            String type = Fields.requiredString(t, "type", p + ".type");
            switch (type) {
                case "function", "custom" -> out.add(member(t, type, p, null, null));
                case "namespace" -> {
                    String ns = Fields.requiredString(t, "name", p + ".name");
                    String description = Fields.optionalString(t, "description", p + ".description");
                    JsonNode members = Fields.present(t, "tools");
                    if (members == null) throw Fields.missing(p + ".tools");
                    if (!members.isArray()) throw Fields.invalidType(p + ".tools", "an array", members);
                    for (int j = 0; j < members.size(); j++) {
                        String mp = p + ".tools[" + j + "]";
                        ObjectNode m = Fields.object(members.get(j), mp);
                        String mType = Fields.requiredString(m, "type", mp + ".type");
                        if (!mType.equals("function") && !mType.equals("custom")) {
                            throw Fields.invalidValue(mp + ".type", "'" + mType + "' is not one of ['function', 'custom'].");
                        }
                        out.add(member(m, mType, mp, ns, description));
                    }
                }
                default -> out.add(new Tool(type, Json.text(t, "name"), null, null, null, t));
            }
        }
        return out;
    }

    private static Tool member(ObjectNode t, String type, String p, String namespace, String nsDescription) {
        String name = Fields.requiredString(t, "name", p + ".name");
        String description = Fields.optionalString(t, "description", p + ".description");
        ObjectNode extra = Fields.extras(t, Set.of("type", "name", "description", "parameters", "strict"));
        if (namespace != null) {
            extra.put(NAMESPACE, namespace).put(NAMESPACE_TOOL, name);
            if (nsDescription != null) extra.put(NAMESPACE_DESCRIPTION, nsDescription);
        }
        if (type.equals("custom")) {
            JsonNode format = Fields.present(t, "format");
            if (format != null) Fields.requiredString(Fields.object(format, p + ".format"), "type", p + ".format.type");
            return new Tool("custom", flatName(namespace, name), description, null, null, extra);
        }
        JsonNode params = Fields.present(t, "parameters");
        if (params != null) Fields.object(params, p + ".parameters");
        return new Tool("function", flatName(namespace, name), description, params,
                Fields.optionalBool(t, "strict", p + ".strict"), extra);
    }

    /**
     * Tools for a Responses upstream: functions and custom tools, namespaces regrouped; hosted tools only when
     * the request was read from this format ({@code own}). A function says {@code strict} only when its
     * request did: the Responses API otherwise defaults to strict schemas, which most clients' schemas are not.
     */
    static ArrayNode encode(List<Tool> tools, boolean own) {
        ArrayNode out = Json.array();
        var namespaces = new LinkedHashMap<String, ObjectNode>();
        for (Tool t : tools) {
            if (!t.isFunction() && !t.isCustom()) {
                if (own) out.add(t.extra().deepCopy());
                continue;
            }
            String ns = Json.text(t.extra(), NAMESPACE);
            String member = Json.text(t.extra(), NAMESPACE_TOOL);
            ObjectNode o = Json.object().put("type", t.type()).put("name", ns != null && member != null ? member : t.name());
            if (t.description() != null) o.put("description", t.description());
            if (t.isFunction()) {
                o.set("parameters", t.parameters() != null ? t.parameters().deepCopy()
                        : Json.object().put("type", "object").set("properties", Json.object()));
                if (t.strict() != null) o.put("strict", t.strict());
                else if (!own) o.put("strict", false);
            } else if (t.extra().get("format") instanceof ObjectNode format) {
                o.set("format", customFormat(format));
            }
            if (own) {
                t.extra().properties().forEach(e -> {
                    if (!e.getKey().startsWith(NAMESPACE) && !o.has(e.getKey())) o.set(e.getKey(), e.getValue().deepCopy());
                });
            }
            if (ns == null) {
                out.add(o);
                continue;
            }
            ObjectNode group = namespaces.computeIfAbsent(ns, k -> {
                ObjectNode g = out.addObject().put("type", "namespace").put("name", k);
                String d = Json.text(t.extra(), NAMESPACE_DESCRIPTION);
                g.put("description", d == null ? "" : d);
                g.putArray("tools");
                return g;
            });
            ((ArrayNode) group.get("tools")).add(o);
        }
        return out;
    }

    /** A custom tool's format in the Responses shape; chat nests a grammar's fields under {@code grammar}. */
    private static ObjectNode customFormat(ObjectNode format) {
        if (!(format.get("grammar") instanceof ObjectNode grammar)) return format.deepCopy();
        ObjectNode out = Json.object().put("type", "grammar");
        if (grammar.has("syntax")) out.set("syntax", grammar.get("syntax"));
        if (grammar.has("definition")) out.set("definition", grammar.get("definition"));
        return out;
    }
}
