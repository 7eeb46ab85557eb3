package dev.arbiter.cache;

import dev.arbiter.cache.semantic.SemanticConfig;
import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Section;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The response cache ({@code cache:} at the top of the file). Off unless the block is present.
 *
 * @param enabled          false only with {@code enabled: false} (the block present but the cache off)
 * @param ttl              how long an answer is served ({@code exact.ttl}); a request may shorten it
 * @param maxBytes         the memory tier's bound in serialised bytes ({@code exact.max-bytes})
 * @param maxEntryBytes    an answer larger than this is not stored ({@code exact.max-entry-bytes})
 * @param normalizeWhitespace and {@code caseFold}: how text is compared in the key ({@code exact.normalize-whitespace},
 *                         {@code exact.case-fold}); both off by default
 * @param semantic         the {@code semantic:} block (the semantic cache); null when absent
 * @param tiers            where answers are kept, fastest first ({@code tiers: [memory, redis, postgres]})
 * @param nonDeterministic what to do with requests that ask for a sample ({@code temperature > 0}, {@code n > 1})
 * @param exclude          regular expressions: a request whose text matches one is never looked up nor stored
 * @param namespace        a namespace shared by every caller; null: each caller has its own (the default)
 * @param asyncWrites      write-through to the slower tiers off the request's path ({@code write: async}, default)
 * @param tierTimeout      the time budget of one lookup in a tier beyond memory
 * @param tierRecovery     how long a tier that kept failing is bypassed before it is tried again
 * @param writeQueue       writes to slower tiers waiting at most; more are dropped (and counted)
 * @param keyPrefix        prefix of Redis keys
 */
public record CacheConfig(boolean enabled, Duration ttl, long maxBytes, long maxEntryBytes, boolean normalizeWhitespace,
                          boolean caseFold, SemanticSettings semantic, List<TierKind> tiers, NonDeterministic nonDeterministic,
                          List<Pattern> exclude, String namespace, boolean asyncWrites, Duration tierTimeout,
                          Duration tierRecovery, int writeQueue, String keyPrefix) {
    /** The cache when no {@code cache:} block is given: off. */
    public static final CacheConfig OFF = new CacheConfig(false, Duration.ofHours(1), 256L << 20, 4L << 20, false, false,
            null, List.of(TierKind.MEMORY), NonDeterministic.CACHE, List.of(), null, true, Duration.ofMillis(50),
            Duration.ofSeconds(10), 1000, "arbiter:cache");

    /** The top-level {@code cache:} block. */
    public static final Section<CacheConfig> SECTION = Section.top("cache", OFF, CacheConfig::bind);

    /** A tier of the cache. */
    public enum TierKind { MEMORY, REDIS, POSTGRES }

    /**
     * Requests that ask for a sample ({@code temperature > 0} or {@code n > 1}, as sent; an unset temperature is not
     * counted): {@code cache} serves a repeat the sample already drawn (the default: an operator who turns the cache on
     * wants repeats served), {@code bypass} always asks the model.
     */
    public enum NonDeterministic { CACHE, BYPASS }

    /**
     * The {@code semantic:} block: the semantic cache's settings ({@link SemanticConfig}), whether it is on, and the
     * time one lookup may take (embedding and search; {@code lookup-timeout}, default 100 ms) before it is a miss, and
     * the upstream embeddings model when {@code model: {upstream: NAME}} names one (null: the in-process embedder).
     */
    public record SemanticSettings(boolean enabled, SemanticConfig config, Duration lookupTimeout, SemanticConfig.Upstream upstream) {
        public static final Duration DEFAULT_LOOKUP_TIMEOUT = Duration.ofMillis(100);

        public SemanticSettings {
            ConfigException.require(lookupTimeout != null && lookupTimeout.isPositive() && lookupTimeout.toMillis() <= 10_000,
                    "semantic.lookup-timeout", lookupTimeout, "a duration in (0, 10s]");
        }
    }

    public CacheConfig {
        var checks = new ConfigException.Checks();
        checks.require(ttl != null && ttl.isPositive(), "cache.exact.ttl", ttl, "a positive duration");
        checks.require(maxBytes >= 1024, "cache.exact.max-bytes", maxBytes, ">= 1024");
        checks.require(maxEntryBytes >= 1 && maxEntryBytes <= maxBytes, "cache.exact.max-entry-bytes", maxEntryBytes, "1..max-bytes");
        checks.require(tiers != null && !tiers.isEmpty() && tiers.getFirst() == TierKind.MEMORY && tiers.stream().distinct().count() == tiers.size(),
                "cache.tiers", tiers, "a list starting with memory, then redis and/or postgres, each once");
        checks.require(tierTimeout != null && tierTimeout.isPositive() && tierTimeout.toMillis() <= 10_000, "cache.tier-timeout", tierTimeout, "a duration in (0, 10s]");
        checks.require(tierRecovery != null && tierRecovery.isPositive(), "cache.tier-recovery", tierRecovery, "a positive duration");
        checks.require(writeQueue >= 1 && writeQueue <= 1_000_000, "cache.write-queue", writeQueue, "1..1000000");
        checks.require(namespace == null || namespace.matches("[A-Za-z0-9._:-]{1,64}"), "cache.namespace", namespace, "1-64 of A-Z a-z 0-9 . _ : -");
        checks.require(keyPrefix != null && keyPrefix.matches("[A-Za-z0-9._:-]{1,64}"), "cache.key-prefix", keyPrefix, "1-64 of A-Z a-z 0-9 . _ : -");
        checks.throwIfAny();
        tiers = List.copyOf(tiers);
        exclude = List.copyOf(exclude);
    }

    private static CacheConfig bind(ConfigNode n) {
        var d = OFF;
        boolean enabled = n.bool("enabled", true);
        ConfigNode exact = n.child("exact");
        Duration ttl = exact.duration("ttl", d.ttl());
        long maxBytes = exact.longValue("max-bytes", d.maxBytes());
        long maxEntry = exact.longValue("max-entry-bytes", Math.min(d.maxEntryBytes(), maxBytes));
        boolean ws = exact.bool("normalize-whitespace", false);
        boolean fold = exact.bool("case-fold", false);
        SemanticSettings semantic = semantic(n);
        var tiers = new ArrayList<TierKind>();
        List<String> names = n.has("tiers") ? n.strings("tiers") : List.of("memory");
        for (String t : names) {
            try {
                tiers.add(TierKind.valueOf(t.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                n.problem(n.path() + ".tiers", t, "memory | redis | postgres");
            }
        }
        NonDeterministic nd = nonDeterministic(n, d.nonDeterministic());
        List<Pattern> exclude = patterns(n, "exclude");
        String namespace = n.string("namespace", null);
        String write = n.string("write", "async");
        if (!write.equals("async") && !write.equals("sync")) n.problem(n.path() + ".write", write, "async | sync");
        Duration timeout = n.duration("tier-timeout", d.tierTimeout());
        Duration recovery = n.duration("tier-recovery", d.tierRecovery());
        int queue = n.integer("write-queue", d.writeQueue());
        String prefix = n.string("key-prefix", d.keyPrefix());
        return n.build(() -> new CacheConfig(enabled, ttl, maxBytes, maxEntry, ws, fold, semantic, tiers, nd, exclude,
                namespace, !write.equals("sync"), timeout, recovery, queue, prefix));
    }

    /** Reads the top-level {@code semantic:} block; null when absent. */
    static SemanticSettings semantic(ConfigNode n) {
        if (!n.has("semantic")) return null;
        ConfigNode s = n.child("semantic");
        boolean enabled = s.bool("enabled", true);
        SemanticConfig.Upstream upstream = SemanticConfig.upstream(s);
        SemanticConfig config = SemanticConfig.bind(s, upstream);
        Duration timeout = s.duration("lookup-timeout", SemanticSettings.DEFAULT_LOOKUP_TIMEOUT);
        return s.build(() -> new SemanticSettings(enabled, config, timeout, upstream));   // config null: its problems are reported
    }

    static NonDeterministic nonDeterministic(ConfigNode n, NonDeterministic dflt) {
        String v = n.string("non-deterministic", null);
        if (v == null) return dflt;
        for (NonDeterministic e : NonDeterministic.values()) if (e.name().toLowerCase(Locale.ROOT).equals(v)) return e;
        n.problem(n.path() + ".non-deterministic", v, "cache | bypass");
        return dflt;
    }

    static List<Pattern> patterns(ConfigNode n, String key) {
        var out = new ArrayList<Pattern>();
        for (String p : n.strings(key)) {
            try {
                out.add(Pattern.compile(p));
            } catch (PatternSyntaxException e) {
                n.problem(n.path() + "." + key, p, "a regular expression (" + e.getDescription() + ")");
            }
        }
        return out;
    }

    public boolean configured() {
        return enabled;
    }
}
