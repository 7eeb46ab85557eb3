package dev.arbiter.route;

import dev.arbiter.pipeline.Exchange;

/**
 * Chooses the deployment for one attempt. The default is weighted random; the decision engine plugs in here.
 */
@FunctionalInterface
public interface DeploymentSelector {
    Deployment select(ModelRegistry.Model model, Exchange exchange);

    /** Picks by weight, drawing from a thread-local random. */
    static DeploymentSelector weightedRandom() {
        return (model, exchange) -> {
            var ds = model.deployments();
            if (ds.size() == 1) return ds.getFirst();
            int total = 0;
            for (Deployment d : ds) total += d.config().weight();
            int r = java.util.concurrent.ThreadLocalRandom.current().nextInt(total);
            for (Deployment d : ds) {
                r -= d.config().weight();
                if (r < 0) return d;
            }
            return ds.getLast();
        };
    }
}
