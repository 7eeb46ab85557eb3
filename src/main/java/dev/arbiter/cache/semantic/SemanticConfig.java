package dev.arbiter.cache.semantic;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The semantic cache's settings, the block {@code cache.semantic} (the cache's config nests it; {@link #bind} reads it).
 *
 * <pre>
 * cache:
 *   semantic:
 *     threshold: 0.96            # cosine similarity a hit needs, 0..1
 *     model: all-minilm-l6-v2-q  # the in-process embedder, or {upstream: MODEL}: a configured embeddings model
 *     max-entries: 100000        # prompts indexed, the oldest dropped first
 *     guards: [numbers]                  # negations, entities: see the README
 *     max-prompt-chars: 2000     # longer prompts are cached exactly only
 * </pre>
 *
 * @param threshold the cosine similarity at or above which a stored prompt answers a new one
 * @param model the embedder, by name: a {@link LocalEmbedder.Model}, or {@code upstream:NAME} for the configured
 *     logical model NAME that serves embeddings ({@link Upstream}, set as {@code model: {upstream: NAME}})
 * @param maxEntries the most prompts indexed; beyond it the oldest inserted are dropped
 * @param guards the second checks a candidate must pass ({@link Guard})
 * @param candidates how many nearest prompts are checked, most similar first, before the lookup is a miss
 * @param maxPromptChars the longest final user turn looked up or stored by meaning (longer ones: exact cache only)
 * @param refreshInterval how often, at most, the index makes its recent writes part of its graph
 */
public record SemanticConfig(double threshold, String model, long maxEntries, Set<Guard> guards, int candidates,
                             int maxPromptChars, Duration refreshInterval) {
    /** The measured default (see the README's semantic cache figures). */
    public static final SemanticConfig DEFAULT = new SemanticConfig(0.96, LocalEmbedder.Model.ALL_MINILM_L6_V2_Q.configName(),
            100_000, EnumSet.of(Guard.NUMBERS), 4, 2000, Duration.ofSeconds(1));

    public SemanticConfig {
        var checks = new ConfigException.Checks();
        checks.require(threshold > 0 && threshold <= 1, "semantic.threshold", threshold, "a number in (0, 1]");
        checks.require(model != null && (LocalEmbedder.Model.named(model) != null || Upstream.named(model) != null), "semantic.model", model,
                LocalEmbedder.Model.names() + ", or {upstream: MODEL}: a configured model with embeddings: true");
        checks.require(maxEntries >= 1 && maxEntries <= 100_000_000, "semantic.max-entries", maxEntries, "1..100000000");
        checks.require(guards != null, "semantic.guards", guards, "a list of numbers | negations | entities");
        checks.require(candidates >= 1 && candidates <= 100, "semantic.candidates", candidates, "1..100");
        checks.require(maxPromptChars >= 1, "semantic.max-prompt-chars", maxPromptChars, "an integer >= 1");
        checks.require(refreshInterval != null && !refreshInterval.isNegative(), "semantic.refresh-interval", refreshInterval, "a duration >= 0");
        checks.throwIfAny();
        guards = guards.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(guards));
    }

    /** This config with another threshold. */
    public SemanticConfig withThreshold(double t) {
        return new SemanticConfig(t, model, maxEntries, guards, candidates, maxPromptChars, refreshInterval);
    }

    /** This config with other guards. */
    public SemanticConfig withGuards(Set<Guard> g) {
        return new SemanticConfig(threshold, model, maxEntries, g, candidates, maxPromptChars, refreshInterval);
    }

    /** Reads a {@code semantic:} block; what is absent keeps {@link #DEFAULT}'s value. */
    public static SemanticConfig bind(ConfigNode n) {
        return bind(n, upstream(n));
    }

    /** Reads a {@code semantic:} block whose {@code model:} mapping, when it has one, was read as {@code upstream}. */
    public static SemanticConfig bind(ConfigNode n, Upstream upstream) {
        var d = DEFAULT;
        double threshold = n.number("threshold", d.threshold());
        boolean mapping = n.has("model") && n.raw().get("model").isObject();
        String model = upstream != null ? Upstream.PREFIX + upstream.model() : mapping ? d.model() : n.string("model", d.model());
        long maxEntries = n.longValue("max-entries", d.maxEntries());
        Set<Guard> guards = guards(n, d.guards());
        int candidates = n.integer("candidates", d.candidates());
        int maxChars = n.integer("max-prompt-chars", d.maxPromptChars());
        Duration refresh = n.duration("refresh-interval", d.refreshInterval());
        return n.build(() -> new SemanticConfig(threshold, model, maxEntries, guards, candidates, maxChars, refresh));
    }

    /**
     * An upstream embeddings model: {@code model: {upstream: NAME, dimensions: 512, timeout: 5s}}. NAME is a logical
     * model of the same file with {@code embeddings: true} (checked when the gateway starts); the semantic cache sends
     * it {@code POST /v1/embeddings} through the gateway's own provider clients, with the deployment's credentials.
     *
     * @param model the logical model's name
     * @param dimensions asked of the model ({@code dimensions} in the request) when above 0; 0: the model's own length,
     *     learned from its first answer
     * @param timeout the longest one embeddings call may take (a lookup still waits at most {@code lookup-timeout})
     */
    public record Upstream(String model, int dimensions, Duration timeout) {
        public static final String PREFIX = "upstream:";
        public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

        public Upstream {
            var checks = new ConfigException.Checks();
            checks.require(model != null && !model.isBlank(), "semantic.model.upstream", model, "the name of a configured model with embeddings: true");
            checks.require(dimensions >= 0 && dimensions <= 4096, "semantic.model.dimensions", dimensions, "1..4096 (or absent: the model's own)");
            checks.require(timeout != null && timeout.isPositive() && timeout.toSeconds() <= 60, "semantic.model.timeout", timeout, "a duration in (0, 60s]");
            checks.throwIfAny();
        }

        /** The logical model an embedder name {@code upstream:NAME} names; null for another name. */
        static String named(String embedder) {
            return embedder.startsWith(PREFIX) && embedder.length() > PREFIX.length() ? embedder.substring(PREFIX.length()) : null;
        }
    }

    /** The {@code model:} key when it is a mapping ({@link Upstream}); null when it is a name (or absent). */
    public static Upstream upstream(ConfigNode n) {
        if (!n.has("model") || !n.raw().get("model").isObject()) return null;
        ConfigNode m = n.child("model");
        String name = m.string("upstream", null);
        int dims = m.integer("dimensions", 0);
        Duration timeout = m.duration("timeout", Upstream.DEFAULT_TIMEOUT);
        if (name == null) {
            m.problem(m.path() + ".upstream", null, "the name of a configured model with embeddings: true");
            return null;
        }
        return m.build(() -> new Upstream(name, dims, timeout));
    }

    private static Set<Guard> guards(ConfigNode n, Set<Guard> dflt) {
        if (!n.has("guards")) return dflt;
        Set<Guard> guards = EnumSet.noneOf(Guard.class);
        for (String g : n.strings("guards")) {
            Guard guard = Guard.named(g);
            if (guard == null) n.problem(n.path() + ".guards", g, "numbers | negations | entities");
            else guards.add(guard);
        }
        return guards;
    }

    /**
     * A model's own {@code cache.semantic:} block: what it sets replaces the top-level value for that model's
     * lookups; null components are unset. The embedder and the index are one per gateway, so {@code model},
     * {@code max-entries}, {@code refresh-interval} and {@code lookup-timeout} belong to the top-level block only.
     *
     * @param enabled false turns the semantic cache off for the model; the block present otherwise turns it on
     */
    public record Override(Boolean enabled, Double threshold, Set<Guard> guards, Integer candidates, Integer maxPromptChars) {
        public Override {
            guards = guards == null ? null : Set.copyOf(guards);
        }

        /** {@code base} with what this block sets. */
        public SemanticConfig applyTo(SemanticConfig base) {
            return new SemanticConfig(threshold != null ? threshold : base.threshold(), base.model(), base.maxEntries(),
                    guards != null ? guards : base.guards(), candidates != null ? candidates : base.candidates(),
                    maxPromptChars != null ? maxPromptChars : base.maxPromptChars(), base.refreshInterval());
        }
    }

    /** Reads a model's {@code semantic:} block (see {@link Override}). */
    public static Override bindOverride(ConfigNode n) {
        Boolean enabled = n.has("enabled") ? n.bool("enabled", true) : null;
        Double threshold = n.optionalNumber("threshold");
        Set<Guard> guards = guards(n, null);
        Integer candidates = n.optionalInteger("candidates");
        Integer maxChars = n.optionalInteger("max-prompt-chars");
        for (String shared : List.of("model", "max-entries", "refresh-interval", "lookup-timeout")) {
            if (n.has(shared)) {
                n.problem(n.path() + "." + shared, n.raw().get(shared),
                        "set in the top-level cache.semantic only: the embedder and its index are one per gateway");
            }
        }
        var override = new Override(enabled, threshold, guards, candidates, maxChars);
        return n.build(() -> {
            override.applyTo(DEFAULT);   // the checks of a full config, named by this block's path
            return override;
        });
    }
}
