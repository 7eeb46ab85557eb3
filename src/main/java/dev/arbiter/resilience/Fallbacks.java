package dev.arbiter.resilience;

import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.ModelConfig;
import dev.arbiter.config.Section;
import dev.arbiter.route.ModelRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's ordered fallback chain ({@code models[].fallbacks: [model, ...]}): the logical models whose deployments
 * are tried, in this order, after the model's own. Each name is a model's name or one of its aliases. Chains are
 * followed: after a model's own list come its fallbacks' fallbacks, breadth first (A: [B, C], B: [D] tries B, C,
 * then D), each model once and never the model itself, so cycles end.
 */
public record Fallbacks(List<String> models) {
    public static final Fallbacks NONE = new Fallbacks(List.of());

    /** The {@code fallbacks:} list of a model. */
    public static final Section<Fallbacks> SECTION = Section.perModel("fallbacks", NONE, Fallbacks::bind);

    public Fallbacks {
        models = List.copyOf(models);
        for (int i = 0; i < models.size(); i++) {
            ConfigException.require(!models.get(i).isBlank(), "fallbacks[" + i + "]", models.get(i), "a model name");
        }
    }

    private static Fallbacks bind(ConfigNode n) {
        var names = new ArrayList<String>();
        for (ConfigNode item : n.items()) {
            String s = item.text();
            if (s != null) names.add(s);
        }
        return n.build(() -> new Fallbacks(names));
    }

    /**
     * Every model's chain resolved against the registry, by model name. Checked across models here, where the records
     * meet: each name must resolve to another model, of the same kind (chat or embeddings), named once.
     */
    public static Map<String, List<ModelRegistry.Model>> chains(ArbiterConfig config, ModelRegistry registry) {
        var out = new HashMap<String, List<ModelRegistry.Model>>();
        var problems = new ArrayList<String>();
        for (int i = 0; i < config.models().size(); i++) {
            ModelConfig mc = config.models().get(i);
            List<String> names = mc.section(SECTION).models();
            var chain = new ArrayList<ModelRegistry.Model>();
            for (int j = 0; j < names.size(); j++) {
                String path = "models[" + i + "].fallbacks[" + j + "]";
                var found = registry.find(names.get(j));
                if (found.isEmpty()) {
                    problems.add(ConfigException.problem(path, names.get(j), "the name or alias of a configured model"));
                } else if (found.get().name().equals(mc.name())) {
                    problems.add(ConfigException.problem(path, names.get(j), "another model than " + mc.name()));
                } else if (found.get().embeddings() != mc.embeddings()) {
                    problems.add(ConfigException.problem(path, names.get(j), mc.embeddings() ? "an embedding model" : "a chat model"));
                } else if (chain.contains(found.get())) {
                    problems.add(ConfigException.problem(path, names.get(j), "a model not already in the chain"));
                } else {
                    chain.add(found.get());
                }
            }
            if (!chain.isEmpty()) out.put(mc.name(), List.copyOf(chain));
        }
        if (!problems.isEmpty()) throw new ConfigException(problems);
        var followed = new HashMap<String, List<ModelRegistry.Model>>();
        for (var e : out.entrySet()) followed.put(e.getKey(), followed(e.getKey(), out));
        return Map.copyOf(followed);
    }

    /** {@code model}'s own chain, then its fallbacks' own chains, breadth first, each model once. */
    private static List<ModelRegistry.Model> followed(String model, Map<String, List<ModelRegistry.Model>> own) {
        var chain = new ArrayList<ModelRegistry.Model>();
        var seen = new java.util.HashSet<String>();
        seen.add(model);
        var next = new java.util.ArrayDeque<String>();
        next.add(model);
        while (!next.isEmpty()) {
            for (ModelRegistry.Model f : own.getOrDefault(next.poll(), List.of())) {
                if (seen.add(f.name())) {
                    chain.add(f);
                    next.add(f.name());
                }
            }
        }
        return List.copyOf(chain);
    }
}
