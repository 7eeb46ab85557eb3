package dev.arbiter.route;

import dev.arbiter.provider.Deployment;
import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.config.ModelConfig;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.Untrusted;
import dev.arbiter.limit.AdaptiveLimit;
import dev.arbiter.limit.ConcurrencyConfig;
import dev.arbiter.limit.ConcurrencyLimiter;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.provider.Provider;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The logical models Arbiter serves and their deployments, with a provider instance and an in-flight limit
 * per deployment. A name resolves by exact model name, then exact alias, then the longest wildcard alias
 * ({@code claude-*}, {@code *}) that matches.
 */
public final class ModelRegistry implements AutoCloseable {
    /**
     * A logical model at run time.
     *
     * @param catchAll whether it takes every name no other model claims (alias {@code *})
     */
    public record Model(String name, boolean embeddings, List<Deployment> deployments, boolean catchAll) {
        /**
         * Whether every deployment sends the client's own model name upstream ({@code model: "*"}): the name then picks
         * the upstream's model, chat or embedding alike, and the upstream decides what it serves.
         */
        public boolean passesNamesThrough() {
            return deployments.stream().allMatch(d -> DeploymentConfig.ANY_MODEL.equals(d.upstreamModel()));
        }
    }

    private final List<Model> models;
    private final Map<String, Model> byName = new HashMap<>();
    private final List<Map.Entry<String, Model>> wildcards = new ArrayList<>();
    private final ModelCatalog catalog;

    /**
     * @param providers makes each deployment's provider (the CLI wiring asks its {@code Providers} registry)
     * @param formats the wire format each deployment's upstream speaks natively
     */
    public ModelRegistry(ArbiterConfig config, Function<DeploymentConfig, Provider> providers,
                         Function<DeploymentConfig, WireFormat> formats) {
        var list = new ArrayList<Model>();
        for (ModelConfig mc : config.models()) {
            var deployments = new ArrayList<Deployment>();
            for (DeploymentConfig dc : mc.deployments()) {
                ConcurrencyLimiter limiter = limiter(mc, dc, config.limits());
                deployments.add(new Deployment(mc.name(), dc, providers.apply(dc), limiter, formats.apply(dc)));
            }
            Model m = new Model(mc.name(), mc.embeddings(), List.copyOf(deployments), mc.aliases().contains("*"));
            list.add(m);
            byName.put(mc.name(), m);
            for (String alias : mc.aliases()) {
                if (alias.endsWith("*")) wildcards.add(Map.entry(alias.substring(0, alias.length() - 1), m));
                else byName.putIfAbsent(alias, m);
            }
        }
        wildcards.sort(Comparator.comparingInt((Map.Entry<String, Model> e) -> e.getKey().length()).reversed());
        this.models = List.copyOf(list);
        this.catalog = new ModelCatalog(this, System::nanoTime);
    }

    /**
     * A deployment's own in-flight limit: adaptive when its {@code concurrency} block says so (capped by its
     * {@code max-in-flight} when set), else fixed at {@code max-in-flight}, else none. Waits are the gateway's
     * per-class queue timeouts.
     */
    private static ConcurrencyLimiter limiter(ModelConfig mc, DeploymentConfig dc, dev.arbiter.config.LimitsConfig limits) {
        String name = "deployment " + dc.name() + " of model " + mc.name();
        ConcurrencyConfig cc = dc.section(ConcurrencyConfig.SECTION);
        if (cc.adaptive()) return AdaptiveLimit.limiter(name, cc, dc.maxInFlight(), limits.queueTimeoutsByClass(), System::nanoTime);
        if (dc.maxInFlight() <= 0) return null;
        return new ConcurrencyLimiter(name, dc.maxInFlight(), dc.maxInFlight(), limits.queueTimeoutsByClass(), System::nanoTime);
    }

    public List<Model> models() {
        return models;
    }

    /** The model names clients see listed, and the upstream name a catch-all model's own name stands for. */
    public ModelCatalog catalog() {
        return catalog;
    }

    public Optional<Model> find(String name) {
        Model m = byName.get(name);
        if (m != null) return Optional.of(m);
        for (var w : wildcards) if (name.startsWith(w.getKey())) return Optional.of(w.getValue());
        return Optional.empty();
    }

    public Model resolve(String name) {
        return find(name).orElseThrow(() -> new ArbiterException.NotFound(
                "The model '" + Untrusted.text(name) + "' does not exist or you do not have access to it.", "model", "model_not_found"));
    }

    /** The deployment named {@code deployment} of model {@code model}, if any. */
    public Optional<Deployment> deployment(String model, String deployment) {
        Model m = byName.get(model);
        if (m == null) return Optional.empty();
        for (Deployment d : m.deployments()) if (d.name().equals(deployment)) return Optional.of(d);   // per request: no stream
        return Optional.empty();
    }

    @Override
    public void close() {
        catalog.close();
        for (Model m : models) for (Deployment d : m.deployments()) d.provider().close();
    }
}
