package dev.arbiter.route;

import dev.arbiter.pipeline.Exchange;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongUnaryOperator;

/**
 * Chooses the deployment for one attempt. The default is weighted random; the decision engine plugs in here.
 */
@FunctionalInterface
public interface DeploymentSelector {
    Deployment select(ModelRegistry.Model model, Exchange exchange);

    /** Picks by weight, drawing from a thread-local random. */
    static DeploymentSelector weightedRandom() {
        return weighted(bound -> ThreadLocalRandom.current().nextLong(bound));
    }

    /**
     * Picks by weight: each deployment with the share of its weight in the model's total (weight 0: never).
     * {@code draw} returns a uniformly random number from 0 (inclusive) to its argument (exclusive); it is called
     * from many threads at once unless the caller knows otherwise (tests pass a seeded one).
     */
    static DeploymentSelector weighted(LongUnaryOperator draw) {
        return (model, exchange) -> {
            var ds = model.deployments();
            if (ds.size() == 1) return ds.getFirst();
            long total = 0;
            for (Deployment d : ds) total += d.config().weight();
            long r = draw.applyAsLong(total);
            for (Deployment d : ds) {
                r -= d.config().weight();
                if (r < 0) return d;
            }
            return ds.getLast();
        };
    }
}
