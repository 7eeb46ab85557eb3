package dev.arbiter.route;

import dev.arbiter.pipeline.Exchange;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

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

    /** The deployment to try first. */
    default Deployment select(ModelRegistry.Model model, Exchange exchange) {
        return rank(model, exchange).getFirst();
    }

    /**
     * Draws by weight without replacement: the first with probability weight / total, the next among the rest the
     * same way, and so on, from a thread-local random.
     */
    static DeploymentSelector weightedRandom() {
        return new DeploymentSelector() {
            @Override
            public List<Deployment> rank(ModelRegistry.Model model, Exchange exchange) {
                var ds = model.deployments();
                if (ds.size() == 1) return ds;
                var left = new ArrayList<>(ds);
                var out = new ArrayList<Deployment>(ds.size());
                var random = ThreadLocalRandom.current();
                while (left.size() > 1) {
                    int total = 0;
                    for (Deployment d : left) total += d.config().weight();
                    int pick = left.size() - 1;
                    if (total > 0) {
                        int r = random.nextInt(total);
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
