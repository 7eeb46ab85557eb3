package dev.arbiter.decide;

import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Section;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * The {@code catalog:} section: entries that replace shipped catalog entries of the same name or add models.
 *
 * <pre>
 * catalog:
 *   - name: my-llama
 *     provider: vllm
 *     context-window: 32768
 *     capabilities: [tools, json, streaming]
 *     price: {input: 0.1, output: 0.2}
 *     quality: {chat: 0.7, code: 0.6}
 * </pre>
 */
public record CatalogConfig(List<Catalog.Entry> entries) {
    public static final CatalogConfig NONE = new CatalogConfig(List.of());
    public static final Section<CatalogConfig> SECTION = Section.top("catalog", NONE, CatalogConfig::bind);

    public CatalogConfig {
        entries = List.copyOf(entries);
    }

    private static CatalogConfig bind(ConfigNode n) {
        var out = new ArrayList<Catalog.Entry>();
        for (ConfigNode e : n.items()) {
            String name = e.string("name", null);
            if (name == null) e.problem(e.path() + ".name", "(missing)", "a model name");
            String provider = e.string("provider", "custom");
            int context = e.integer("context-window", 0);
            List<String> caps = e.strings("capabilities");
            for (String c : caps) if (!Catalog.CAPABILITIES.contains(c)) e.problem(e.path() + ".capabilities", c, String.join(" | ", Catalog.CAPABILITIES));
            ConfigNode p = e.child("price");
            p.hint("US dollars per million tokens");
            double in = p.number("input", 0);
            double outPrice = p.number("output", 0);
            double cached = p.number("cached-input", in);
            if (in < 0 || outPrice < 0 || cached < 0) p.problem(p.path(), "a negative price", "prices >= 0");
            var quality = new LinkedHashMap<String, Double>();
            ConfigNode q = e.child("quality");
            for (String type : Catalog.TASK_TYPES) {
                Double v = q.optionalNumber(type);
                if (v == null) continue;
                if (v < 0 || v > 1) q.problem(q.path() + "." + type, v, "0..1");
                else quality.put(type, v);
            }
            if (name != null) out.add(new Catalog.Entry(name, provider, context, Set.copyOf(caps), in, outPrice, cached, quality));
        }
        return n.build(() -> new CatalogConfig(out));
    }
}
