package dev.arbiter.provider;

import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.limit.ConcurrencyLimiter;
import dev.arbiter.llm.WireFormat;

/**
 * A deployment at run time: its config, the provider instance that calls it, its own in-flight limit and the wire
 * format its upstream speaks natively (its provider kind's, for its {@code api}). {@code model} is the logical model
 * it serves.
 */
public record Deployment(String model, DeploymentConfig config, Provider provider, ConcurrencyLimiter limiter,
                         WireFormat nativeFormat) {
    public String name() {
        return config.name();
    }

    /** The upstream's own model name, as configured. */
    public String upstreamModel() {
        return config.model();
    }

    /** The model name to send upstream for a request that asked for {@code requested}. */
    public String upstreamModel(String requested) {
        return DeploymentConfig.ANY_MODEL.equals(config.model()) ? requested : config.model();
    }

    public String providerName() {
        return config.provider();
    }
}
