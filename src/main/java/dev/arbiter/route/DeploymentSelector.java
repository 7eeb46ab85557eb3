package dev.arbiter.route;

import dev.arbiter.provider.Deployment;
import dev.arbiter.pipeline.Exchange;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongUnaryOperator;

/**
 * Ranks a logical model's deployments for one request: the first is tried first, the rest are the order in which
 * the attempt step may fall back. The default is weighted random; the decision engine plugs in here.
 */
@FunctionalInterface
public interface DeploymentSelector {
    /** The model's deployments, best first; never empty for a model with deployments. */
    List<Deployment> rank(ModelRegistry.Model model, Exchange exchange);

    /** The selector's name in traces and decision records. */
    default String name() {
        return "custom";
    }

    /** The name recorded for {@code model}'s ranking (a selector that picks one per model says which). */
    default String name(ModelRegistry.Model model) {
        return name();
    }

    /** The deployment to try first. */
    default Deployment select(ModelRegistry.Model model, Exchange exchange) {
        return rank(model, exchange).getFirst();
    }

    /** {@link #weighted} drawing from a thread-local random. */
    static DeploymentSelector weightedRandom() {
        return weighted(bound -> ThreadLocalRandom.current().nextLong(bound));
    }

    /**
     * Ranks by weight, drawing without replacement: first each deployment with the share of its weight in the model's
     * total, then the next among the rest the same way, and so on; deployments of weight 0 come last (standbys for
     * fallback, never chosen first while another has weight). {@code draw} returns a uniformly random number from 0
     * (inclusive) to its argument (exclusive); it is called from many threads at once (tests pass a seeded one).
     */
    static DeploymentSelector weighted(LongUnaryOperator draw) {
        return new DeploymentSelector() {
            @Override
            public List<Deployment> rank(ModelRegistry.Model model, Exchange exchange) {
                var ds = model.deployments();
                if (ds.size() == 1) return ds;
                var left = new ArrayList<>(ds);
                var out = new ArrayList<Deployment>(ds.size());
                while (left.size() > 1) {
                    long total = 0;
                    for (Deployment d : left) total += d.config().weight();
                    int pick = 0;
                    if (total > 0) {
                        long r = draw.applyAsLong(total);
                        for (int i = 0; i < left.size(); i++) {
                            r -= left.get(i).config().weight();
                            if (r < 0) {
                                pick = i;
                                break;
                            }
                        }
                    }
                    out.add(left.remove(pick));
                }
                out.add(left.getFirst());
                return out;
            }

            @Override
            public String name() {
                return "weighted";
            }
        };
    }
}
