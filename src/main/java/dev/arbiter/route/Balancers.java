package dev.arbiter.route;

import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Role;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.provider.Deployment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongUnaryOperator;

/**
 * The load-balancing selectors besides {@link DeploymentSelector#weighted}, and the one that picks each model's own
 * ({@link #perModel}). Each ranks the whole list (the rest is the order to fall back in); deployments of weight 0
 * always come last, as with {@code weighted}: they are standbys.
 *
 * <ul>
 *   <li>round-robin: a counter per model, each request starting one further along;
 *   <li>least-busy: fewest attempts in flight from this gateway first, ties in random order;
 *   <li>latency: "the power of two choices" (Mitzenmacher, 2001): two deployments drawn at random, the one with the
 *       lower latency average first (a deployment not yet measured reads 0, so it is tried), then the rest by
 *       average. Two random choices, not the single best, so that a whole burst does not pile onto the one that was
 *       fastest a moment ago;
 *   <li>prefix-affinity: rendezvous (highest random weight) hashing (Thaler and Ravishankar, 1998) of the request's
 *       affinity key against each deployment's name, weighted ({@code -weight / ln(u)}): every gateway node ranks one
 *       conversation the same way without sharing state, a removed or unhealthy deployment moves only its own
 *       conversations, and the next-ranked one takes them. The key is the session ({@code x-arbiter-session}, else
 *       the request's {@code user}), else the conversation's prefix: its system prompt and first user turn, which
 *       every later turn repeats.
 * </ul>
 */
public final class Balancers {
    /** The header naming a session for prefix affinity. */
    public static final String SESSION_HEADER = "x-arbiter-session";

    private Balancers() {
    }

    private static List<Deployment> standbysLast(List<Deployment> ranked) {
        var out = new ArrayList<Deployment>(ranked.size());
        for (Deployment d : ranked) if (d.config().weight() > 0) out.add(d);
        for (Deployment d : ranked) if (d.config().weight() <= 0) out.add(d);
        return out;
    }

    private static DeploymentSelector named(String name, DeploymentSelector rank) {
        return new DeploymentSelector() {
            @Override
            public List<Deployment> rank(ModelRegistry.Model model, Exchange exchange) {
                return model.deployments().size() == 1 ? model.deployments() : rank.rank(model, exchange);
            }

            @Override
            public String name() {
                return name;
            }
        };
    }

    /** Each request starts one deployment further along the model's list than the one before. */
    public static DeploymentSelector roundRobin() {
        Map<String, AtomicLong> counters = new ConcurrentHashMap<>();
        return named("round-robin", (model, exchange) -> {
            var ds = standbysLast(model.deployments());
            int active = (int) ds.stream().filter(d -> d.config().weight() > 0).count();
            long n = counters.computeIfAbsent(model.name(), k -> new AtomicLong()).getAndIncrement();
            var head = new ArrayList<>(ds.subList(0, active));
            Collections.rotate(head, -(int) Math.floorMod(n, (long) active));
            head.addAll(ds.subList(active, ds.size()));
            return head;
        });
    }

    /** Fewest attempts in flight first; {@code draw} as for {@link DeploymentSelector#weighted} breaks ties. */
    public static DeploymentSelector leastBusy(DeploymentLoad load, LongUnaryOperator draw) {
        return named("least-busy", (model, exchange) -> {
            var ds = shuffled(model.deployments(), draw);
            ds.sort(Comparator.comparingInt((Deployment d) -> d.config().weight() > 0 ? 0 : 1).thenComparingInt(load::inFlight));
            return ds;
        });
    }

    /** The lower latency average of two drawn at random first, then the rest by average. */
    public static DeploymentSelector latency(DeploymentLoad load, LongUnaryOperator draw) {
        return named("latency", (model, exchange) -> {
            var ds = standbysLast(model.deployments());
            int active = (int) ds.stream().filter(d -> d.config().weight() > 0).count();
            var rest = new ArrayList<>(ds.subList(0, active));
            Deployment first;
            if (active < 2) {
                first = rest.removeFirst();
            } else {
                int a = (int) draw.applyAsLong(active);
                int b = (int) draw.applyAsLong(active - 1);
                if (b >= a) b++;
                first = load.latencyNanos(rest.get(b)) < load.latencyNanos(rest.get(a)) ? rest.get(b) : rest.get(a);
                rest.remove(first);
            }
            rest.sort(Comparator.comparingDouble(load::latencyNanos));
            var out = new ArrayList<Deployment>(ds.size());
            out.add(first);
            out.addAll(rest);
            out.addAll(ds.subList(active, ds.size()));
            return out;
        });
    }

    /** Rendezvous hashing of the request's affinity key (see the class comment). */
    public static DeploymentSelector prefixAffinity() {
        return named("prefix-affinity", (model, exchange) -> {
            long key = affinityKey(exchange);
            var ds = new ArrayList<>(model.deployments());
            ds.sort(Comparator.comparingInt((Deployment d) -> d.config().weight() > 0 ? 0 : 1)
                    .thenComparing(Comparator.comparingDouble((Deployment d) -> score(key, d)).reversed()));
            return ds;
        });
    }

    /** The weighted rendezvous score of {@code d} for {@code key}: {@code -weight / ln(u)}, u uniform in (0, 1). */
    static double score(long key, Deployment d) {
        long h = mix(key ^ fnv(d.name()));
        double u = ((h >>> 11) + 0.5) / (1L << 53);
        return -Math.max(1, d.config().weight()) / Math.log(u);
    }

    /** The session, else the {@code user}, else the system prompt and first user turn, hashed. */
    static long affinityKey(Exchange exchange) {
        if (exchange == null) return 0;
        var session = exchange.header(SESSION_HEADER);
        if (session.isPresent() && !session.get().isBlank()) return fnv("session\0" + session.get());
        LlmRequest req = exchange.request();
        if (req.user() != null && !req.user().isBlank()) return fnv("user\0" + req.user());
        long h = FNV_OFFSET;
        boolean userSeen = false;
        for (Message m : req.messages()) {
            if (m.role() == Role.SYSTEM || m.role() == Role.DEVELOPER) {
                h = fnv(h, m.text());
            } else if (m.role() == Role.USER && !userSeen) {
                h = fnv(h, "\0user\0");
                h = fnv(h, m.text());
                userSeen = true;
            }
        }
        return h;
    }

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;

    /** FNV-1a, 64 bits, over the string's UTF-8: cheap, and mixed afterwards by {@link #mix}. */
    static long fnv(String s) {
        return fnv(FNV_OFFSET, s);
    }

    private static long fnv(long h, String s) {
        if (s == null) return h;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** The finaliser of SplitMix64 (Steele, Lea and Flood, 2014). */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private static ArrayList<Deployment> shuffled(List<Deployment> ds, LongUnaryOperator draw) {
        var out = new ArrayList<>(ds);
        for (int i = out.size() - 1; i > 0; i--) Collections.swap(out, i, (int) draw.applyAsLong(i + 1));
        return out;
    }

    /** {@link #leastBusy} and {@link #latency} with a thread-local random. */
    private static long random(long bound) {
        return ThreadLocalRandom.current().nextLong(bound);
    }

    /** The selector of each model of {@code config}, by its {@code load-balancing}. */
    public static DeploymentSelector perModel(dev.arbiter.config.ArbiterConfig config, DeploymentLoad load) {
        return perModel(config, load, null);
    }

    /**
     * The selector of each model of {@code config}, by its {@code load-balancing}; {@code factor} (null: none) scales
     * the weights of {@code weighted} models per request (the analyzer's down-weighting of a degraded deployment).
     */
    public static DeploymentSelector perModel(dev.arbiter.config.ArbiterConfig config, DeploymentLoad load,
            java.util.function.ToDoubleFunction<Deployment> factor) {
        var byModel = new java.util.HashMap<String, LoadBalancing.Strategy>();
        for (var m : config.models()) byModel.put(m.name(), m.section(LoadBalancing.SECTION).strategy());
        return perModel(byModel, load, factor);
    }

    /**
     * The selector each model configured ({@link LoadBalancing}), by model name; a model not listed is weighted.
     * The name recorded in the trace is the model's own strategy.
     */
    public static DeploymentSelector perModel(Map<String, LoadBalancing.Strategy> byModel, DeploymentLoad load) {
        return perModel(byModel, load, null);
    }

    private static DeploymentSelector perModel(Map<String, LoadBalancing.Strategy> byModel, DeploymentLoad load,
            java.util.function.ToDoubleFunction<Deployment> factor) {
        var weighted = factor == null ? DeploymentSelector.weightedRandom() : DeploymentSelector.weightedRandom(factor);
        var roundRobin = roundRobin();
        var leastBusy = leastBusy(load, Balancers::random);
        var latency = latency(load, Balancers::random);
        var affinity = prefixAffinity();
        Map<String, LoadBalancing.Strategy> strategies = Map.copyOf(byModel);
        return new DeploymentSelector() {
            private DeploymentSelector of(ModelRegistry.Model model) {
                return switch (strategies.getOrDefault(model.name(), LoadBalancing.Strategy.WEIGHTED)) {
                    case WEIGHTED -> weighted;
                    case ROUND_ROBIN -> roundRobin;
                    case LEAST_BUSY -> leastBusy;
                    case LATENCY -> latency;
                    case PREFIX_AFFINITY -> affinity;
                };
            }

            @Override
            public List<Deployment> rank(ModelRegistry.Model model, Exchange exchange) {
                return of(model).rank(model, exchange);
            }

            @Override
            public String name(ModelRegistry.Model model) {
                return of(model).name();
            }

            @Override
            public String name() {
                return "per-model";
            }
        };
    }
}
