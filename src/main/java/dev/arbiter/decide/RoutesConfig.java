package dev.arbiter.decide;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Section;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * The {@code routes:} section: virtual model names clients call, each choosing among candidate models.
 *
 * <pre>
 * routes:
 *   - name: auto
 *     candidates: [gpt-4o-mini, gpt-4o]
 *     policy: linucb            # or none: the composite score alone
 *     objective: balanced       # quality-first | cost-first | {quality: 0.6, cost: 0.3, latency: 0.1}
 *     exploration: 0.5          # optional: epsilon, or the bonus / posterior width
 *     features: text            # contextual policies: text | text+embedding
 *     constraints: {max-cost: 0.01, max-p95-latency: 5s, min-quality: 0.7, capabilities: [tools]}
 * </pre>
 */
public record RoutesConfig(List<Route> routes) {
    public static final RoutesConfig NONE = new RoutesConfig(List.of());
    public static final Section<RoutesConfig> SECTION = Section.top("routes", NONE, RoutesConfig::bind);

    /** What a route's {@code features:} accepts: the text cues alone, or with the prompt's sentence embedding. */
    public static final List<String> FEATURES = List.of("text", "text+embedding");

    /**
     * One route. {@code policy} is empty for the composite score alone; {@code exploration} NaN for the policy's
     * default; constraint limits are 0 when unset; {@code features} one of {@link #FEATURES}.
     */
    public record Route(String name, List<String> candidates, String policy, Reward objective, double exploration,
                        double maxCost, double maxP95LatencyMillis, double minQuality, List<String> capabilities, String features) {
        public Route(String name, List<String> candidates, String policy, Reward objective, double exploration,
                     double maxCost, double maxP95LatencyMillis, double minQuality, List<String> capabilities) {
            this(name, candidates, policy, objective, exploration, maxCost, maxP95LatencyMillis, minQuality, capabilities, "text");
        }

        public Route {
            candidates = List.copyOf(candidates);
            capabilities = List.copyOf(capabilities);
            var checks = new ConfigException.Checks();
            checks.require(name != null && !name.isBlank(), "name", name, "a route name");
            checks.require(!candidates.isEmpty(), "candidates", "[]", "at least one model");
            checks.require(policy.isEmpty() || Policies.NAMES.contains(policy), "policy", policy, String.join(" | ", Policies.NAMES));
            checks.require(maxCost >= 0, "constraints.max-cost", maxCost, "US dollars >= 0");
            checks.require(minQuality >= 0 && minQuality <= 1, "constraints.min-quality", minQuality, "0..1");
            checks.require(Catalog.CAPABILITIES.containsAll(capabilities), "constraints.capabilities", capabilities,
                    String.join(" | ", Catalog.CAPABILITIES));
            checks.require(Double.isNaN(exploration) || exploration >= 0 && exploration <= (policy.equals("epsilon-greedy") ? 0.5 : 4),
                    "exploration", exploration, policy.equals("epsilon-greedy") ? "0..0.5" : "0..4");
            checks.require(FEATURES.contains(features), "features", features, String.join(" | ", FEATURES));
            checks.require(features.equals("text") || Policies.contextual(policy), "features", features,
                    "text unless the policy is contextual (" + String.join(" | ", Policies.CONTEXTUAL) + ")");
            checks.throwIfAny();
        }

        /** Whether this route's policy reads the prompt's sentence embedding. */
        public boolean embeds() {
            return features.equals("text+embedding");
        }
    }

    public RoutesConfig {
        routes = List.copyOf(routes);
        var names = new HashSet<String>();
        for (int i = 0; i < routes.size(); i++) {
            ConfigException.require(names.add(routes.get(i).name()), "routes[" + i + "].name", routes.get(i).name(), "a name no other route has");
        }
    }

    private static RoutesConfig bind(ConfigNode n) {
        var out = new ArrayList<Route>();
        for (ConfigNode r : n.items()) {
            String name = r.string("name", null);
            List<String> candidates = r.strings("candidates");
            String policy = r.string("policy", "");
            double exploration = r.number("exploration", Double.NaN);
            Reward objective = objective(r);
            ConfigNode c = r.child("constraints");
            double maxCost = c.number("max-cost", 0);
            double latency = c.has("max-p95-latency") ? c.duration("max-p95-latency", java.time.Duration.ZERO).toMillis() : 0;
            double minQuality = c.number("min-quality", 0);
            List<String> caps = c.strings("capabilities");
            String features = r.string("features", "text");
            Route built = r.build(() -> new Route(name, candidates, policy, objective, exploration, maxCost, latency, minQuality, caps, features));
            if (built != null) out.add(built);
        }
        return n.build(() -> new RoutesConfig(out));
    }

    private static Reward objective(ConfigNode r) {
        if (!r.has("objective")) return Reward.BALANCED;
        if (r.raw().get("objective").isObject()) {
            ConfigNode o = r.child("objective");
            double q = o.number("quality", 0);
            double c = o.number("cost", 0);
            double l = o.number("latency", 0);
            try {
                return new Reward(q, c, l);
            } catch (IllegalArgumentException e) {
                o.problem(o.path(), "{quality: " + q + ", cost: " + c + ", latency: " + l + "}", "weights >= 0, not all 0");
                return Reward.BALANCED;
            }
        }
        String preset = r.string("objective", "balanced");
        return switch (preset) {
            case "balanced" -> Reward.BALANCED;
            case "quality-first" -> Reward.QUALITY_FIRST;
            case "cost-first" -> Reward.COST_FIRST;
            default -> {
                r.problem(r.path() + ".objective", preset, "balanced | quality-first | cost-first | {quality, cost, latency}");
                yield Reward.BALANCED;
            }
        };
    }
}
