package dev.arbiter.route;

import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.limit.ConcurrencyLimiter;
import dev.arbiter.pipeline.Attribute;
import dev.arbiter.provider.Provider;

/**
 * A deployment at run time: its config, the provider instance that calls it and its own in-flight limit.
 * {@code model} is the logical model it serves.
 */
public record Deployment(String model, DeploymentConfig config, Provider provider, ConcurrencyLimiter limiter) {
    /** The deployment the route stage chose for this attempt. */
    public static final Attribute<Deployment> CHOSEN = Attribute.of("deployment", Deployment.class);

    public String name() {
        return config.name();
    }

    /** The upstream's own model name. */
    public String upstreamModel() {
        return config.model();
    }

    public String providerName() {
        return config.provider();
    }
}
