package dev.arbiter.config;

import dev.arbiter.mock.MockConfig;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * One place a logical model is served: a provider, the model name it knows, where and how to reach it.
 *
 * @param provider {@code openai} (any OpenAI-compatible server), {@code azure}, {@code anthropic} or {@code mock}
 * @param model the upstream's own model name
 * @param apiKey the upstream credential, usually {@code ${ENV_VAR}}; null when the upstream needs none
 * @param weight share of traffic among the model's deployments
 * @param contextWindow the model's context window in tokens, or null when unknown
 * @param maxInFlight most concurrent requests this deployment takes; 0 for no limit of its own
 * @param apiVersion Azure's {@code api-version} query parameter
 * @param headers extra headers sent upstream
 * @param mock the fake's behaviour, for provider {@code mock}
 */
public record DeploymentConfig(String name, String provider, String model, URI baseUrl, Secret apiKey, int weight,
                               PriceConfig price, Integer contextWindow, Duration connectTimeout, Duration timeout,
                               int maxInFlight, String apiVersion, Map<String, String> headers, MockConfig mock) {

    public static final Set<String> PROVIDERS = Set.of("openai", "azure", "anthropic", "mock");

    public DeploymentConfig {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        price = price == null ? PriceConfig.FREE : price;
        ConfigException.require(name != null && !name.isBlank(), "deployment.name", name, "a non-empty name");
        ConfigException.require(PROVIDERS.contains(provider), "provider", provider, "one of azure, anthropic, mock, openai");
        ConfigException.require(model != null && !model.isBlank(), "model", model, "the upstream model name");
        ConfigException.require(weight >= 0, "weight", weight, ">= 0");
        ConfigException.require(contextWindow == null || contextWindow > 0, "context-window", contextWindow, "> 0");
        ConfigException.require(ServerConfig.positive(connectTimeout), "connect-timeout", connectTimeout, "a positive duration");
        ConfigException.require(ServerConfig.positive(timeout), "timeout", timeout, "a positive duration");
        ConfigException.require(maxInFlight >= 0, "max-in-flight", maxInFlight, ">= 0 (0 = no limit)");
        if (!"mock".equals(provider)) {
            ConfigException.require(baseUrl != null && baseUrl.isAbsolute()
                            && ("http".equals(baseUrl.getScheme()) || "https".equals(baseUrl.getScheme())),
                    "base-url", baseUrl, "an absolute http(s) URL");
        }
        if ("azure".equals(provider)) {
            ConfigException.require(apiVersion != null && !apiVersion.isBlank(), "api-version", apiVersion,
                    "Azure's api-version, e.g. 2024-10-21");
        }
    }
}
