package dev.arbiter.limit;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Section;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The top-level {@code rate-limits:} block: the tiers' limits (a key's own are in its {@code limits:}), the
 * algorithm and store every block uses unless it names its own, and how many gateways share the limits (each one
 * counts {@code 1/nodes} of every Redis-kept limit while Redis cannot be reached).
 *
 * <pre>
 * rate-limits:
 *   algorithm: token-bucket        # or sliding-window
 *   store: redis                   # or memory; redis without a redis: block counts on each gateway
 *   nodes: 3
 *   key-prefix: "arbiter:rl:"     # of the Redis keys
 *   global: {rps: 200, tpm: 2000000}
 *   team: {rpm: 600}               # each team
 *   teams: {research: {rpm: 6000}} # one team's own, instead
 *   user: {rpm: 60, concurrency: 4} # each user (the key's, else the request's user field or x-arbiter-user)
 *   models: {gpt-4o: {tpm: 800000}}
 * </pre>
 */
public record RateLimitConfig(Rule.Algorithm algorithm, Rule.Store store, int nodes, String keyPrefix, LimitSpec global, LimitSpec team,
                              Map<String, LimitSpec> teams, LimitSpec user, Map<String, LimitSpec> models) {
    public static final RateLimitConfig DEFAULT = new RateLimitConfig(Rule.Algorithm.TOKEN_BUCKET, Rule.Store.REDIS, 1, "arbiter:rl:",
            LimitSpec.NONE, LimitSpec.NONE, Map.of(), LimitSpec.NONE, Map.of());

    public static final Section<RateLimitConfig> SECTION = Section.top("rate-limits", DEFAULT, RateLimitConfig::bind);

    public RateLimitConfig {
        ConfigException.require(nodes >= 1 && nodes <= 1000, "rate-limits.nodes", nodes, "1..1000");
        ConfigException.require(keyPrefix != null && keyPrefix.matches("[A-Za-z0-9:_.{}-]{1,64}"), "rate-limits.key-prefix", keyPrefix,
                "1-64 letters, digits or : _ . - { }");
        teams = Map.copyOf(teams);
        models = Map.copyOf(models);
    }

    private static RateLimitConfig bind(ConfigNode n) {
        Rule.Algorithm a = algorithm(n, "algorithm", DEFAULT.algorithm());
        Rule.Store s = store(n, "store", DEFAULT.store());
        int nodes = n.integer("nodes", 1);
        String prefix = n.string("key-prefix", DEFAULT.keyPrefix());
        LimitSpec global = LimitSpec.bind(n.child("global"), a, s);
        LimitSpec team = LimitSpec.bind(n.child("team"), a, s);
        Map<String, LimitSpec> teams = named(n.child("teams"), a, s);
        LimitSpec user = LimitSpec.bind(n.child("user"), a, s);
        Map<String, LimitSpec> models = named(n.child("models"), a, s);
        return n.build(() -> new RateLimitConfig(a, s, nodes, prefix, global, team, teams, user, models));
    }

    private static Map<String, LimitSpec> named(ConfigNode n, Rule.Algorithm a, Rule.Store s) {
        var out = new LinkedHashMap<String, LimitSpec>();
        if (!n.present()) return out;
        for (String name : n.fieldNames()) {
            LimitSpec spec = LimitSpec.bind(n.child(name), a, s);
            if (spec != null) out.put(name, spec);
        }
        return out;
    }

    static Rule.Algorithm algorithm(ConfigNode n, String key, Rule.Algorithm dflt) {
        String v = n.string(key, null);
        if (v == null) return dflt;
        for (Rule.Algorithm x : Rule.Algorithm.values()) if (x.label().equals(v)) return x;
        n.problem(n.path() + "." + key, v, "token-bucket or sliding-window");
        return dflt;
    }

    static Rule.Store store(ConfigNode n, String key, Rule.Store dflt) {
        String v = n.string(key, null);
        if (v == null) return dflt;
        for (Rule.Store x : Rule.Store.values()) if (x.label().equals(v)) return x;
        n.problem(n.path() + "." + key, v, "memory or redis");
        return dflt;
    }

    /** This config with {@code own} (models' own {@code limits:} blocks, by model name) over {@code models}. */
    public RateLimitConfig withModels(Map<String, LimitSpec> own) {
        if (own.isEmpty()) return this;
        var merged = new LinkedHashMap<>(models);
        merged.putAll(own);
        return new RateLimitConfig(algorithm, store, nodes, keyPrefix, global, team, teams, user, merged);
    }

    /** Whether any tier is limited at all (keys aside). */
    public boolean any() {
        return !global.none() || !team.none() || !teams.isEmpty() || !user.none() || !models.isEmpty();
    }
}
