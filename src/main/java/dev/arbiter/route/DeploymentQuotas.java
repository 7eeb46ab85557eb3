package dev.arbiter.route;

import dev.arbiter.limit.Admission;
import dev.arbiter.limit.LimitSpec;
import dev.arbiter.limit.RateLimits;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.provider.Deployment;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The deployments' own rate limits ({@code models[].deployments[].limits}), taken by the attempt step when it is
 * about to call a deployment. A deployment at its limit is passed over for the plan's next deployment (or fallback);
 * only when none is left does the request get the 429, with {@code Retry-After} and the {@code x-ratelimit-*} headers
 * of the limit that refused it.
 */
public final class DeploymentQuotas {
    /** No deployment has limits of its own. */
    public static final DeploymentQuotas NONE = new DeploymentQuotas(null, Map.of());

    private final RateLimits limits;
    private final Map<String, LimitSpec> byDeployment;

    private DeploymentQuotas(RateLimits limits, Map<String, LimitSpec> byDeployment) {
        this.limits = limits;
        this.byDeployment = Map.copyOf(byDeployment);
    }

    /** The limits each deployment of {@code registry} configured, counted by {@code limits}. */
    public static DeploymentQuotas of(ModelRegistry registry, RateLimits limits) {
        var specs = new HashMap<String, LimitSpec>();
        for (var m : registry.models()) {
            for (Deployment d : m.deployments()) {
                LimitSpec s = d.config().section(LimitSpec.DEPLOYMENT);
                if (!s.none()) specs.put(d.model() + "/" + d.name(), s);
            }
        }
        return specs.isEmpty() ? NONE : new DeploymentQuotas(limits, specs);
    }

    /**
     * Takes one call at {@code d} from its limits: empty when it has none.
     *
     * @throws dev.arbiter.error.ArbiterException.Overloaded (429, rate_limit_exceeded) when one is reached
     */
    Optional<Admission> take(Deployment d, Exchange exchange) {
        LimitSpec spec = byDeployment.get(d.model() + "/" + d.name());
        if (spec == null) return Optional.empty();
        return Optional.of(limits.admitDeployment(d.model(), d.name(), spec, exchange));
    }
}
