package dev.arbiter.route;

import dev.arbiter.provider.Deployment;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.Untrusted;
import dev.arbiter.llm.Operation;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.Stage;
import dev.arbiter.pipeline.Trace;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Resolves the requested model, checks it can do what is asked, and makes the request's {@link Plan}: the model's
 * deployments ranked by the selector, then each fallback model's, ranked the same way, those that may be called now
 * before those cooling down or with an open circuit, recorded in the trace.
 */
public final class RouteStage implements Stage {
    private final ModelRegistry registry;
    private final DeploymentSelector selector;
    private final Map<String, List<ModelRegistry.Model>> fallbacks;
    private final DeploymentHealth health;

    public RouteStage(ModelRegistry registry, DeploymentSelector selector) {
        this(registry, selector, Map.of());
    }

    /** @param fallbacks each model's fallback models, in order, by model name (none for a model not listed) */
    public RouteStage(ModelRegistry registry, DeploymentSelector selector, Map<String, List<ModelRegistry.Model>> fallbacks) {
        this(registry, selector, fallbacks, DeploymentHealth.NONE);
    }

    /**
     * @param health ranks deployments that are cooling down after a 429 or whose circuit is open after every free
     *     one of the plan (the fallback models' included)
     */
    public RouteStage(ModelRegistry registry, DeploymentSelector selector, Map<String, List<ModelRegistry.Model>> fallbacks,
                      DeploymentHealth health) {
        this.registry = registry;
        this.selector = selector;
        this.fallbacks = Map.copyOf(fallbacks);
        this.health = health;
    }

    @Override
    public Reply apply(Exchange exchange, Chain next) {
        var req = exchange.request();
        ModelRegistry.Model model = registry.resolve(req.model());
        boolean embedding = req.operation() == Operation.EMBEDDING;
        // a model that passes the client's model name on serves embeddings too: the name picks the upstream's model
        if (model.embeddings() ? !embedding : embedding && !model.passesNamesThrough()) {
            throw new ArbiterException.BadRequest(model.embeddings()
                    ? "The model '" + Untrusted.text(req.model()) + "' is an embedding model; use /v1/embeddings."
                    : "The model '" + Untrusted.text(req.model()) + "' does not support embeddings.", "model", "model_not_supported");
        }
        String upstreamName = registry.catalog().upstreamModel(model, req.model());
        if (!upstreamName.equals(req.model())) exchange = exchange.withRequest(req.withModel(upstreamName));
        var ranked = new ArrayList<>(selector.rank(model, exchange));
        var requestNames = new HashMap<String, String>();
        for (ModelRegistry.Model fallback : fallbacks.getOrDefault(model.name(), List.of())) {
            ranked.addAll(selector.rank(fallback, exchange));
            requestNames.put(fallback.name(), registry.catalog().upstreamModel(fallback, fallback.name()));
        }
        List<Deployment> candidates = health.freeFirst(ranked);
        String name = selector.name(model);
        var plan = new Plan(model, candidates, name, requestNames);
        exchange.trace().decided(new Trace.Decision(name, model.name(), candidates.stream().map(Deployment::name).toList(),
                java.util.Map.of()));
        return next.proceed(exchange.with(Plan.KEY, plan));
    }
}
