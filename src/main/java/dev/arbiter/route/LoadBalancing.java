package dev.arbiter.route;

import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Section;
import java.util.Locale;

/**
 * How a model spreads its requests over its deployments ({@code models[].load-balancing}): {@code weighted} (random
 * by weight, the default), {@code round-robin}, {@code least-busy} (fewest attempts in flight), {@code latency}
 * (power of two choices over each deployment's latency average) or {@code prefix-affinity} (one conversation, one
 * deployment, so that the upstream's prefix cache hits). Whatever the choice, deployments that are cooling down after
 * a 429 or whose breaker is open are ranked after the others.
 */
public record LoadBalancing(Strategy strategy) {
    public static final LoadBalancing DEFAULT = new LoadBalancing(Strategy.WEIGHTED);

    /** The {@code load-balancing:} value of a model. */
    public static final Section<LoadBalancing> SECTION = Section.perModel("load-balancing", DEFAULT, LoadBalancing::bind);

    public enum Strategy {
        WEIGHTED, ROUND_ROBIN, LEAST_BUSY, LATENCY, PREFIX_AFFINITY;

        /** The name in the config file and in traces. */
        public String key() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private static final String EXPECTED = "weighted | round-robin | least-busy | latency | prefix-affinity";

    public LoadBalancing {
        dev.arbiter.config.ConfigException.require(strategy != null, "load-balancing", null, EXPECTED);
    }

    private static LoadBalancing bind(ConfigNode n) {
        String v = n.text();
        if (v == null) return null;
        for (Strategy s : Strategy.values()) if (s.key().equals(v)) return new LoadBalancing(s);
        n.problem(n.path(), v, EXPECTED);
        return null;
    }
}
