package dev.arbiter.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One place a logical model is served: a provider, the model name it knows, where and how to reach it.
 *
 * @param provider the name of a registered provider ({@code openai} for any OpenAI-compatible server, {@code azure},
 *     {@code anthropic}, {@code mock}); the loader checks it and the provider's own keys against its {@link ProviderRule}
 * @param model the upstream's own model name
 * @param apiKey the upstream credential, usually {@code ${ENV_VAR}}; null when the upstream needs none
 * @param weight share of traffic among the model's deployments
 * @param contextWindow the model's context window in tokens, or null when unknown
 * @param maxInFlight most concurrent requests this deployment takes; 0 for no limit of its own
 * @param apiVersion Azure's {@code api-version} query parameter
 * @param headers extra headers sent upstream
 * @param sections the records of the per-deployment sections this deployment set (e.g. the mock provider's
 *     {@code mock:} block); read them with {@link #section}
 * @param api the upstream API the provider calls, one its rule allows: for {@code openai}, {@code chat} (chat
 *     completions, the default) or {@code responses} (its own /v1/responses, e.g. OpenAI or recent vLLM; Responses
 *     clients are passed through); {@code messages} for {@code anthropic}. The loader fills in the provider's default;
 *     made in code without one, {@code chat}
 * @param hostedTools what to do with hosted tools (web_search, file_search, ...) this upstream cannot run:
 *     {@code drop} them and name them in the {@code x-arbiter-dropped-tools} header, or {@code reject} with 400
 * @param anthropicBeta the {@code anthropic-beta} flags forwarded to this (Anthropic) deployment; null forwards
 *     every flag the client sent. Flags are never sent to other providers.
 * @param maxResponseBytes the largest non-streamed answer read from the upstream (502 above), so one huge body
 *     cannot exhaust the gateway's memory
 * @param maxEventBytes the largest server-sent event (and any one line of it) read from the upstream's stream
 *     (502, or the stream's error event, above)
 * @param tls how an HTTPS upstream's certificate is checked; null for the JVM's default trust store
 */
public record DeploymentConfig(String name, String provider, String model, URI baseUrl, Secret apiKey, int weight,
                               PriceConfig price, Integer contextWindow, Duration connectTimeout, Duration timeout,
                               int maxInFlight, String apiVersion, Map<String, String> headers, SectionValues sections,
                               String api, String hostedTools, List<String> anthropicBeta, int maxResponseBytes,
                               int maxEventBytes, TlsConfig tls) {

    /** The upstream model name that means "whatever model the client asked for". */
    public static final String ANY_MODEL = "*";
    public static final int DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
    public static final int DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;
    /** Upper bound of both byte limits: a Java array's, with room to read one byte past the limit. */
    private static final int MAX_BYTES_LIMIT = 1024 * 1024 * 1024;

    public DeploymentConfig(String name, String provider, String model, URI baseUrl, Secret apiKey, int weight,
                            PriceConfig price, Integer contextWindow, Duration connectTimeout, Duration timeout,
                            int maxInFlight, String apiVersion, Map<String, String> headers, SectionValues sections) {
        this(name, provider, model, baseUrl, apiKey, weight, price, contextWindow, connectTimeout, timeout, maxInFlight,
                apiVersion, headers, sections, null, null, null);
    }

    public DeploymentConfig(String name, String provider, String model, URI baseUrl, Secret apiKey, int weight,
                            PriceConfig price, Integer contextWindow, Duration connectTimeout, Duration timeout,
                            int maxInFlight, String apiVersion, Map<String, String> headers, SectionValues sections,
                            String api, String hostedTools, List<String> anthropicBeta) {
        this(name, provider, model, baseUrl, apiKey, weight, price, contextWindow, connectTimeout, timeout, maxInFlight,
                apiVersion, headers, sections, api, hostedTools, anthropicBeta, DEFAULT_MAX_RESPONSE_BYTES,
                DEFAULT_MAX_EVENT_BYTES, null);
    }

    public DeploymentConfig {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        sections = sections == null ? SectionValues.NONE : sections;
        api = api == null ? "chat" : api;
        hostedTools = hostedTools == null ? "drop" : hostedTools;
        anthropicBeta = anthropicBeta == null ? null : List.copyOf(anthropicBeta);
        price = price == null ? PriceConfig.FREE : price;
        // every check runs, so one bad field does not hide the next
        var checks = new ConfigException.Checks();
        checks.require(name != null && !name.isBlank(), "deployment.name", name, "a non-empty name");
        checks.require(provider != null && !provider.isBlank(), "provider", provider, "a provider name");
        checks.require(Set.of("drop", "reject").contains(hostedTools), "hosted-tools", hostedTools, "drop or reject");
        checks.require(model != null && !model.isBlank(), "model", model, "the upstream model name");
        checks.require(weight >= 0, "weight", weight, ">= 0");
        checks.require(contextWindow == null || contextWindow > 0, "context-window", contextWindow, "> 0");
        checks.require(ServerConfig.positive(connectTimeout), "connect-timeout", connectTimeout, "a positive duration");
        checks.require(ServerConfig.positive(timeout), "timeout", timeout, "a positive duration");
        checks.require(maxInFlight >= 0, "max-in-flight", maxInFlight, ">= 0 (0 = no limit)");
        checks.require(maxResponseBytes >= 1024 && maxResponseBytes <= MAX_BYTES_LIMIT, "max-response-bytes",
                maxResponseBytes, "from 1024 to " + MAX_BYTES_LIMIT);
        checks.require(maxEventBytes >= 1024 && maxEventBytes <= MAX_BYTES_LIMIT, "max-event-bytes",
                maxEventBytes, "from 1024 to " + MAX_BYTES_LIMIT);
        if (baseUrl != null) {
            checks.require(baseUrl.isAbsolute() && baseUrl.getHost() != null
                            && ("http".equals(baseUrl.getScheme()) || "https".equals(baseUrl.getScheme())),
                    "base-url", baseUrl, "an absolute http(s) URL");
            checks.require(tls == null || "https".equals(baseUrl.getScheme()), "tls", "(set)",
                    "no tls settings for an http:// base-url");
        }
        checks.throwIfAny();
    }

    /** A per-deployment section's record: as bound from this deployment's entry, or its default. */
    public <T> T section(Section<T> section) {
        return sections.get(section, Section.Scope.DEPLOYMENT);
    }
}
