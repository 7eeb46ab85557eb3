package dev.arbiter.config;

import java.util.List;

/**
 * What a deployment of one provider must set, as data: config knows no providers, so whoever registers them (the
 * CLI wiring, from the provider registry) hands the loader one rule per provider name.
 *
 * @param name the {@code provider:} value
 * @param apis the {@code api:} values it takes; the first is the default
 * @param needsBaseUrl whether {@code base-url} is required (every provider that calls a server)
 * @param needsApiVersion whether {@code api-version} is required (Azure's)
 */
public record ProviderRule(String name, List<String> apis, boolean needsBaseUrl, boolean needsApiVersion) {
    public ProviderRule {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a provider rule needs a name");
        apis = List.copyOf(apis);
        if (apis.isEmpty()) throw new IllegalArgumentException("provider " + name + " needs at least one api");
    }

    /** The {@code api} a deployment that sets none gets. */
    public String defaultApi() {
        return apis.getFirst();
    }

    /** Checks {@code d} against this rule, adding each problem to {@code checks} with its key in the deployment. */
    void check(DeploymentConfig d, ConfigException.Checks checks) {
        checks.require(apis.contains(d.api()), "api", d.api(), String.join(" or ", apis) + " for provider " + name);
        if (needsBaseUrl) checks.require(d.baseUrl() != null, "base-url", null, "an absolute http(s) URL");
        if (needsApiVersion) {
            checks.require(d.apiVersion() != null && !d.apiVersion().isBlank(), "api-version", d.apiVersion(),
                    "Azure's api-version, e.g. 2024-10-21");
        }
    }
}
