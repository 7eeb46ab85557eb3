package dev.arbiter.decide;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * One route at run time: its candidates (each with its catalog entry), its objective and constraints, its policy
 * (if any) and each candidate's observed latencies. A decision is a pure function of the request's
 * {@link RequestContext} and this state:
 *
 * <ol>
 *   <li>filter: the capabilities the route and the request require, the context window, max-cost (the request's
 *       estimated list price), max-p95-latency (observed, once a candidate has answered), min-quality (the prior for
 *       the request's task type), then availability (not every deployment's circuit breaker open);</li>
 *   <li>the Pareto frontier of what is left over (quality, cost, latency; a latency not yet observed counts as the
 *       slowest observed): a candidate no better on any and worse on
 *       one than another is dropped;</li>
 *   <li>the composite score {@code wq q - wc cost / max cost - wl latency / max latency} (the objective's weights),
 *       or, when the route has a policy, the policy's choice among the frontier.</li>
 * </ol>
 *
 * Everything a decision reads is either immutable or guarded by this object's monitor (the latency windows) or the
 * policy's.
 */
final class Router {
    /** Assumed output tokens for the cost estimate when the request sets no max. */
    static final int DEFAULT_OUTPUT_TOKENS = 500;
    private static final int LATENCY_WINDOW = 64;

    private final RoutesConfig.Route config;
    private final List<Catalog.Entry> candidates;
    private final Policy policy;
    private final long[][] latencies;
    private final int[] latencyCount;
    private final Predicate<String> available;

    Router(RoutesConfig.Route config, List<Catalog.Entry> candidates, RandomGenerator random) {
        this(config, candidates, random, model -> true);
    }

    /** @param available whether a candidate model can be served now (not every deployment's breaker open) */
    Router(RoutesConfig.Route config, List<Catalog.Entry> candidates, RandomGenerator random, Predicate<String> available) {
        this.available = available;
        this.config = config;
        this.candidates = List.copyOf(candidates);
        this.policy = config.policy().isEmpty() ? null
                : Policies.create(config.policy(), candidates.size(), dimension(), config.exploration(), random);
        this.latencies = new long[candidates.size()][LATENCY_WINDOW];
        this.latencyCount = new int[candidates.size()];
    }

    String name() {
        return config.name();
    }

    /** The length of this route's feature vectors: the text features, and the projected embedding when it has them. */
    int dimension() {
        return config.embeds() ? Features.DIM + Features.EMBEDDING_DIM : Features.DIM;
    }

    /** Whether this route's policy wants the prompt's embedding in the context ({@code features: text+embedding}). */
    boolean embeds() {
        return policy != null && config.embeds();
    }

    /** The policy's name, or {@code score} for the composite score alone. */
    String policyName() {
        return policy == null ? "score" : policy.name();
    }

    Policy policy() {
        return policy;
    }

    List<Catalog.Entry> candidates() {
        return candidates;
    }

    RoutesConfig.Route config() {
        return config;
    }

    /** A decision, with what explains it: every candidate's estimates, why it was filtered, and the frontier. */
    record Decision(String route, String policy, int chosen, String model, List<Candidate> candidates, double[] features,
                    String taskType) {
    }

    /** One candidate's estimates for one request; {@code excluded} is why it was filtered, empty when it was not. */
    record Candidate(String model, double quality, double cost, double latencyMillis, String excluded, boolean pareto, double score) {
    }

    Decision decide(RequestContext ctx) {
        int k = candidates.size();
        double[] q = new double[k];
        double[] c = new double[k];
        double[] l = new double[k];
        String[] excluded = new String[k];
        double maxCost = ctx.maxCost() > 0 && (config.maxCost() == 0 || ctx.maxCost() < config.maxCost()) ? ctx.maxCost() : config.maxCost();
        double minQuality = Math.max(config.minQuality(), ctx.minQuality());
        Set<String> required = new HashSet<>(config.capabilities());
        required.addAll(ctx.capabilities());
        double[] p95 = new double[k];
        double slowest = 0;
        for (int i = 0; i < k; i++) {
            p95[i] = p95(i);
            if (!Double.isNaN(p95[i])) slowest = Math.max(slowest, p95[i]);
        }
        for (int i = 0; i < k; i++) {
            Catalog.Entry e = candidates.get(i);
            q[i] = e.quality(ctx.taskType());
            c[i] = e.cost(ctx.inputTokens(), ctx.outputTokens() > 0 ? ctx.outputTokens() : DEFAULT_OUTPUT_TOKENS);
            // a latency not yet observed counts as the slowest observed: it can win no place on the frontier by speed
            l[i] = Double.isNaN(p95[i]) ? slowest : p95[i];
            excluded[i] = "";
            if (!e.capabilities().containsAll(required)) excluded[i] = "capabilities";
            else if (e.contextWindow() > 0 && ctx.inputTokens() > e.contextWindow()) excluded[i] = "context-window";
            else if (maxCost > 0 && c[i] > maxCost) excluded[i] = "max-cost";
            else if (config.maxP95LatencyMillis() > 0 && !Double.isNaN(p95[i]) && p95[i] > config.maxP95LatencyMillis()) excluded[i] = "max-p95-latency";
            else if (q[i] < minQuality) excluded[i] = "min-quality";
        }
        // availability last, and only while something stays: with every fitting candidate down, the request still goes
        // to the best of them, and the attempt step answers for the open breakers (503 circuit_open)
        boolean[] down = new boolean[k];
        boolean anyUp = false;
        for (int i = 0; i < k; i++) {
            if (!excluded[i].isEmpty()) continue;
            down[i] = !available.test(candidates.get(i).name());
            anyUp |= !down[i];
        }
        for (int i = 0; i < k && anyUp; i++) if (down[i]) excluded[i] = "unavailable";
        boolean[] pareto = new boolean[k];
        double maxC = 0;
        double maxL = 0;
        for (int i = 0; i < k; i++) {
            if (!excluded[i].isEmpty()) continue;
            pareto[i] = true;
            for (int j = 0; j < k && pareto[i]; j++) {
                if (j == i || !excluded[j].isEmpty()) continue;
                boolean noWorse = q[j] >= q[i] && c[j] <= c[i] && l[j] <= l[i];
                boolean better = q[j] > q[i] || c[j] < c[i] || l[j] < l[i];
                if (noWorse && better) pareto[i] = false;
            }
            maxC = Math.max(maxC, c[i]);
            maxL = Math.max(maxL, l[i]);
        }
        double[] score = new double[k];
        Reward w = config.objective();
        int best = -1;
        for (int i = 0; i < k; i++) {
            score[i] = w.quality() * q[i] - (maxC > 0 ? w.cost() * c[i] / maxC : 0) - (maxL > 0 ? w.latency() * l[i] / maxL : 0);
            if (pareto[i] && (best < 0 || score[i] > score[best])) best = i;
        }
        if (best < 0) {
            throw new NoCandidate(config.name(), required);
        }
        int chosen = policy == null ? best : policy.choose(ctx.features(), pareto);
        var out = new ArrayList<Candidate>(k);
        for (int i = 0; i < k; i++) {
            out.add(new Candidate(candidates.get(i).name(), q[i], c[i], l[i], excluded[i], pareto[i], score[i]));
        }
        return new Decision(config.name(), policyName(), chosen, candidates.get(chosen).name(), out, ctx.features(), ctx.taskType());
    }

    /** Records a served request's latency and teaches the policy its reward. */
    void learn(Decision d, double quality, double costUsd, long latencyMillis) {
        synchronized (this) {
            latencies[d.chosen()][latencyCount[d.chosen()]++ % LATENCY_WINDOW] = latencyMillis;
        }
        if (policy == null) return;
        double maxCost = config.maxCost() > 0 ? config.maxCost() : d.candidates().stream().mapToDouble(Candidate::cost).max().orElse(0);
        double maxLatency = config.maxP95LatencyMillis() > 0 ? config.maxP95LatencyMillis() : 30_000;
        policy.update(d.chosen(), d.features(), config.objective().of(quality, costUsd, maxCost, latencyMillis, maxLatency));
    }

    /** Teaches the policy an explicit quality (feedback) for an earlier decision, cost and latency as estimated then. */
    void feedback(Decision d, double quality) {
        if (policy == null) return;
        Candidate c = d.candidates().get(d.chosen());
        double maxCost = config.maxCost() > 0 ? config.maxCost() : d.candidates().stream().mapToDouble(Candidate::cost).max().orElse(0);
        double maxLatency = config.maxP95LatencyMillis() > 0 ? config.maxP95LatencyMillis() : 30_000;
        policy.update(d.chosen(), d.features(), config.objective().of(quality, c.cost(), maxCost, c.latencyMillis(), maxLatency));
    }

    /** The observed p95 latency of candidate {@code i} over its last answers, NaN before any. */
    private synchronized double p95(int i) {
        int n = Math.min(latencyCount[i], LATENCY_WINDOW);
        if (n == 0) return Double.NaN;
        long[] copy = java.util.Arrays.copyOf(latencies[i], n);
        java.util.Arrays.sort(copy);
        return copy[Math.min(n - 1, (int) Math.ceil(0.95 * n) - 1)];
    }

    /** Statistics for the admin API. */
    synchronized Map<String, Object> stats() {
        var out = new LinkedHashMap<String, Object>();
        out.put("route", config.name());
        out.put("policy", policyName());
        var arms = new ArrayList<Map<String, Object>>();
        for (int i = 0; i < candidates.size(); i++) {
            var m = new LinkedHashMap<String, Object>();
            m.put("model", candidates.get(i).name());
            if (policy != null) {
                var s = policy.stats().get(i);
                m.put("pulls", s.pulls());
                m.put("mean_reward", s.meanReward());
            }
            double p95 = p95(i);
            m.put("p95_latency_ms", Double.isNaN(p95) ? null : p95);
            arms.add(m);
        }
        out.put("candidates", arms);
        return out;
    }

    /** No candidate of a route meets what the request and the route require. */
    static final class NoCandidate extends RuntimeException {
        NoCandidate(String route, Set<String> required) {
            super("No model of route '" + route + "' meets its constraints" + (required.isEmpty() ? "" : " with " + String.join(", ", required)) + ".",
                    null, false, false);
        }
    }
}
