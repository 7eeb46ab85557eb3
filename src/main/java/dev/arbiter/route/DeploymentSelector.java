package dev.arbiter.route;

import dev.arbiter.provider.Deployment;
import dev.arbiter.pipeline.Exchange;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongUnaryOperator;
import java.util.function.ToDoubleFunction;

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

    /** {@link #weighted(LongUnaryOperator, ToDoubleFunction)} drawing from a thread-local random. */
    static DeploymentSelector weightedRandom(ToDoubleFunction<Deployment> factor) {
        return weighted(bound -> ThreadLocalRandom.current().nextLong(bound), factor);
    }

    /** {@link #weighted(LongUnaryOperator, ToDoubleFunction)} with every factor 1: the configured weights as they are. */
    static DeploymentSelector weighted(LongUnaryOperator draw) {
        return weighted(draw, null);
    }

    /**
     * Ranks by weight, drawing without replacement: first each deployment with the share of its weight in the model's
     * total, then the next among the rest the same way, and so on; deployments of weight 0 come last (standbys for
     * fallback, never chosen first while another has weight). {@code draw} returns a uniformly random number from 0
     * (inclusive) to its argument (exclusive); it is called from many threads at once (tests pass a seeded one).
     * {@code factor} (null: none) scales each deployment's weight by a number in [0, 1] read per request (the analyzer's
     * down-weighting of a degraded deployment); a positive weight stays positive, so a deployment keeps a share.
     */
    static DeploymentSelector weighted(LongUnaryOperator draw, ToDoubleFunction<Deployment> factor) {
        return new DeploymentSelector() {
            @Override
            public List<Deployment> rank(ModelRegistry.Model model, Exchange exchange) {
                var ds = model.deployments();
                if (ds.size() == 1) return ds;
                var left = new ArrayList<>(ds);
                long[] weights = new long[ds.size()];
                for (int i = 0; i < weights.length; i++) weights[i] = weight(ds.get(i));
                var out = new ArrayList<Deployment>(ds.size());
                while (left.size() > 1) {
                    long total = 0;
                    for (int i = 0; i < left.size(); i++) total += weights[i];
                    int pick = 0;
                    if (total > 0) {
                        long r = draw.applyAsLong(total);
                        for (int i = 0; i < left.size(); i++) {
                            r -= weights[i];
                            if (r < 0) {
                                pick = i;
                                break;
                            }
                        }
                    }
                    System.arraycopy(weights, pick + 1, weights, pick, left.size() - pick - 1);
                    out.add(left.remove(pick));
                }
                out.add(left.getFirst());
                return out;
            }

            /** The weight drawn by: the configured one, times the factor in thousandths. */
            private long weight(Deployment d) {
                long w = d.config().weight();
                if (factor == null || w == 0) return w;
                double f = Math.clamp(factor.applyAsDouble(d), 0, 1);
                return Math.max(1, Math.round(w * 1000 * f));
            }

            @Override
            public String name() {
                return "weighted";
            }
        };
    }
}
