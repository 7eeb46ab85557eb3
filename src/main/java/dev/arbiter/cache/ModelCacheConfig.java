package dev.arbiter.cache;

import dev.arbiter.cache.semantic.SemanticConfig;
import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Section;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A model's own {@code cache:} block ({@code models[].cache}), overriding the top-level one for that model: each
 * key set here replaces the top-level value; {@code exclude} patterns add to the top-level ones. Unset keys are null.
 * {@code enabled: true} turns the cache on for this model even when the top-level block is absent or says
 * {@code enabled: false} (the other settings then come from the top-level block or its defaults).
 *
 * @param enabled          {@code enabled: false} turns the cache off for the model
 * @param ttl              {@code exact.ttl}
 * @param nonDeterministic {@code non-deterministic}
 * @param exclude          more {@code exclude} patterns for this model
 * @param semantic         the model's {@code semantic:} block ({@link SemanticConfig.Override}); null when absent
 */
public record ModelCacheConfig(Boolean enabled, Duration ttl, CacheConfig.NonDeterministic nonDeterministic,
                               List<Pattern> exclude, SemanticConfig.Override semantic) {
    public static final ModelCacheConfig INHERIT = new ModelCacheConfig(null, null, null, List.of(), null);

    public static final Section<ModelCacheConfig> SECTION = Section.perModel("cache", INHERIT, ModelCacheConfig::bind);

    public ModelCacheConfig {
        ConfigException.require(ttl == null || ttl.isPositive(), "cache.exact.ttl", ttl, "a positive duration");
        exclude = List.copyOf(exclude);
    }

    private static ModelCacheConfig bind(ConfigNode n) {
        Boolean enabled = n.has("enabled") ? n.bool("enabled", true) : null;
        ConfigNode exact = n.child("exact");
        Duration ttl = exact.has("ttl") ? exact.duration("ttl", null) : null;
        var nd = CacheConfig.nonDeterministic(n, null);
        var exclude = CacheConfig.patterns(n, "exclude");
        var semantic = n.has("semantic") ? SemanticConfig.bindOverride(n.child("semantic")) : null;
        return n.build(() -> new ModelCacheConfig(enabled, ttl, nd, exclude, semantic));
    }
}
