package dev.arbiter.limit;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Section;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One tier's limits as the config writes them: {@code {rps, rpm, rpd, tpm, concurrency, burst, algorithm, store,
 * custom: [{requests | tokens: N, per: 10s}]}}. {@code burst} (a token bucket's depth, as a multiple of the limit,
 * default 1) and {@code algorithm} and {@code store} apply to every rule of the block; unset, they are
 * {@code rate-limits}' defaults.
 */
public record LimitSpec(List<Rule> rules, long concurrency) {
    public static final LimitSpec NONE = new LimitSpec(List.of(), 0);

    /**
     * A deployment's own limits ({@code models[].deployments[].limits: {rpm, tpm, ...}}), e.g. 80% of the provider's
     * quota for that deployment: a deployment at its limit is passed over for the plan's next one. Counted in Redis
     * when {@code redis:} is configured (the quota is the provider's, shared by every gateway), else in memory;
     * {@code store: memory} keeps it per gateway.
     */
    /**
     * A model's limits ({@code models[].limits: {rpm, tpm, ...}}): the model tier, as {@code rate-limits.models} sets
     * it (the model's own block wins when both name it), counted across every deployment of the model.
     */
    public static final Section<LimitSpec> MODEL = Section.perModel("limits", NONE, n -> bind(n, Rule.Algorithm.TOKEN_BUCKET, Rule.Store.REDIS));

    public static final Section<LimitSpec> DEPLOYMENT = Section.perDeployment("limits", NONE,
            n -> bind(n, Rule.Algorithm.TOKEN_BUCKET, Rule.Store.REDIS));

    public LimitSpec {
        rules = List.copyOf(rules);
        ConfigException.require(concurrency >= 0, "concurrency", concurrency, ">= 0");
    }

    public boolean none() {
        return rules.isEmpty() && concurrency == 0;
    }

    /** The rules of {@code rps, rpm, rpd, tpm} values (zero: none) with one algorithm, burst and store. */
    static List<Rule> of(long rps, long rpm, long rpd, long tpm, Rule.Algorithm a, double burst, Rule.Store s) {
        var out = new ArrayList<Rule>();
        if (rps > 0) out.add(rule(Rule.Dimension.REQUESTS, rps, Duration.ofSeconds(1), a, burst, s));
        if (rpm > 0) out.add(rule(Rule.Dimension.REQUESTS, rpm, Duration.ofMinutes(1), a, burst, s));
        if (rpd > 0) out.add(rule(Rule.Dimension.REQUESTS, rpd, Duration.ofDays(1), a, burst, s));
        if (tpm > 0) out.add(rule(Rule.Dimension.TOKENS, tpm, Duration.ofMinutes(1), a, burst, s));
        return out;
    }

    private static Rule rule(Rule.Dimension d, long limit, Duration per, Rule.Algorithm a, double burst, Rule.Store s) {
        return new Rule(d, limit, per, a, Math.max(1, Math.round(limit * burst)), s);
    }

    static LimitSpec bind(ConfigNode n, Rule.Algorithm defaultAlgorithm, Rule.Store defaultStore) {
        if (!n.present()) return NONE;
        Rule.Algorithm a = RateLimitConfig.algorithm(n, "algorithm", defaultAlgorithm);
        Rule.Store s = RateLimitConfig.store(n, "store", defaultStore);
        double burst = n.number("burst", 1.0);
        if (burst < 1) {
            n.problem(n.path() + ".burst", burst, "a multiple of the limit >= 1");
            burst = 1;
        }
        for (String k : List.of("rps", "rpm", "rpd", "tpm", "concurrency")) {
            if (n.longValue(k, 0) < 0) n.problem(n.path() + "." + k, n.longValue(k, 0), ">= 0 (0 = no limit)");
        }
        var rules = new ArrayList<>(of(n.longValue("rps", 0), n.longValue("rpm", 0), n.longValue("rpd", 0), n.longValue("tpm", 0), a, burst, s));
        for (ConfigNode c : n.list("custom")) {
            boolean tokens = c.has("tokens");
            long limit = tokens ? c.longValue("tokens", 0) : c.longValue("requests", 0);
            Duration per = c.duration("per", null);
            if (limit <= 0 || per == null) {
                c.problem(c.path(), "(incomplete)", "{requests: N, per: 10s} or {tokens: N, per: 1m}");
                continue;
            }
            double b = burst;
            Rule r = c.build(() -> rule(tokens ? Rule.Dimension.TOKENS : Rule.Dimension.REQUESTS, limit, per, a, b, s));
            if (r != null) rules.add(r);
        }
        long conc = n.longValue("concurrency", 0);
        return n.build(() -> new LimitSpec(rules, conc));
    }
}
