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
 *     model: all-minilm-l6-v2-q  # the in-process embedder
 *     max-entries: 100000        # prompts indexed, the oldest dropped first
 *     guards: [numbers]                  # negations, entities: see the README
 *     max-prompt-chars: 2000     # longer prompts are cached exactly only
 * </pre>
 *
 * @param threshold the cosine similarity at or above which a stored prompt answers a new one
 * @param model the embedder, by name ({@link LocalEmbedder.Model})
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
        checks.require(model != null && LocalEmbedder.Model.named(model) != null, "semantic.model", model, LocalEmbedder.Model.names());
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
        var d = DEFAULT;
        double threshold = n.number("threshold", d.threshold());
        String model = n.string("model", d.model());
        long maxEntries = n.longValue("max-entries", d.maxEntries());
        Set<Guard> guards = d.guards();
        if (n.has("guards")) {
            guards = EnumSet.noneOf(Guard.class);
            List<String> names = n.strings("guards");
            for (String g : names) {
                Guard guard = Guard.named(g);
                if (guard == null) n.problem(n.path() + ".guards", g, "numbers | negations | entities");
                else guards.add(guard);
            }
        }
        int candidates = n.integer("candidates", d.candidates());
        int maxChars = n.integer("max-prompt-chars", d.maxPromptChars());
        Duration refresh = n.duration("refresh-interval", d.refreshInterval());
        Set<Guard> g = guards;
        return n.build(() -> new SemanticConfig(threshold, model, maxEntries, g, candidates, maxChars, refresh));
    }
}
