package dev.arbiter.route;

import dev.arbiter.provider.Deployment;
import dev.arbiter.pipeline.Attribute;
import java.util.List;

/**
 * What routing decided for one request: the logical model and its deployments in the order they are to be tried.
 * The attempt step works through it; the request's trace holds the same decision for the outcome sinks.
 */
public record Plan(ModelRegistry.Model model, List<Deployment> candidates, String selector) {
    /** The plan the route stage made for the request. */
    public static final Attribute<Plan> KEY = Attribute.of("plan", Plan.class);

    public Plan {
        candidates = List.copyOf(candidates);
        if (candidates.isEmpty()) throw new IllegalArgumentException("a plan needs at least one candidate");
    }
}
