package dev.arbiter.route;

import dev.arbiter.provider.Deployment;
import dev.arbiter.pipeline.Attribute;
import java.util.List;
import java.util.Map;

/**
 * What routing decided for one request: the logical model and the deployments in the order they are to be tried,
 * the model's own first, then those of each of its fallback models. The attempt step works through it; the
 * request's trace holds the same decision for the outcome sinks.
 *
 * @param requestNames for each fallback model in the plan, by its name, the model name its deployments are sent
 */
public record Plan(ModelRegistry.Model model, List<Deployment> candidates, String selector, Map<String, String> requestNames) {
    /** The plan the route stage made for the request. */
    public static final Attribute<Plan> KEY = Attribute.of("plan", Plan.class);

    public Plan {
        candidates = List.copyOf(candidates);
        requestNames = Map.copyOf(requestNames);
        if (candidates.isEmpty()) throw new IllegalArgumentException("a plan needs at least one candidate");
    }

    public Plan(ModelRegistry.Model model, List<Deployment> candidates, String selector) {
        this(model, candidates, selector, Map.of());
    }

    /** Whether {@code d} serves a fallback model rather than the one asked for. */
    public boolean isFallback(Deployment d) {
        return !d.model().equals(model.name());
    }
}
