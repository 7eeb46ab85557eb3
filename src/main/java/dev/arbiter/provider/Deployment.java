package dev.arbiter.provider;

import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.limit.ConcurrencyLimiter;
import dev.arbiter.llm.WireFormat;

/**
 * A deployment at run time: its config, the provider instance that calls it and its own in-flight limit.
 * {@code model} is the logical model it serves.
 */
public record Deployment(String model, DeploymentConfig config, Provider provider, ConcurrencyLimiter limiter) {
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

    /** The wire format this deployment's upstream speaks natively. */
    public WireFormat nativeFormat() {
        return switch (config.provider()) {
            case "anthropic" -> WireFormat.ANTHROPIC_MESSAGES;
            case "openai" -> "responses".equals(config.api()) ? WireFormat.OPENAI_RESPONSES : WireFormat.OPENAI_CHAT;
            default -> WireFormat.OPENAI_CHAT;
        };
    }

    public String providerName() {
        return config.provider();
    }
}
