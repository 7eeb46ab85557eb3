package dev.arbiter.provider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.wire.Json;
import dev.arbiter.config.DeploymentConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * An upstream's own model list: {@code GET {base-url}/models} of an OpenAI-compatible server, {@code /v1/models} of
 * Anthropic's API (both answer {@code data[].id}), with the deployment's credentials. It is read rarely (the
 * model catalog caches it), so it uses a plain JDK client of its own rather than the request path's pooled one.
 */
public final class UpstreamModelList {
    private static final int MAX_BODY = 4 * 1024 * 1024;

    private UpstreamModelList() {
    }

    /** Whether this deployment's upstream has a model list Arbiter can read. */
    public static boolean listable(DeploymentConfig d) {
        return d.baseUrl() != null && ("openai".equals(d.provider()) || "anthropic".equals(d.provider()));
    }

    /**
     * The ids the upstream lists, in its order.
     *
     * @throws IOException when the upstream cannot be reached, answers an error status or something that is not a list
     */
    public static List<String> fetch(HttpClient client, DeploymentConfig d, Duration timeout) throws IOException, InterruptedException {
        var request = HttpRequest.newBuilder(uri(d)).timeout(timeout).GET().header("accept", "application/json");
        d.headers().forEach(request::header);
        if (d.apiKey() != null && !d.apiKey().isEmpty()) {
            if ("anthropic".equals(d.provider())) request.header("x-api-key", d.apiKey().reveal());
            else request.header("authorization", "Bearer " + d.apiKey().reveal());
        }
        if ("anthropic".equals(d.provider())) request.header("anthropic-version", AnthropicProvider.DEFAULT_VERSION);
        HttpResponse<InputStream> response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        byte[] body;
        try (InputStream in = response.body()) {
            if (response.statusCode() != 200) throw new IOException("HTTP " + response.statusCode());
            body = in.readNBytes(MAX_BODY + 1);
        }
        if (body.length > MAX_BODY) throw new IOException("a model list larger than " + MAX_BODY + " bytes");
        JsonNode data;
        try {
            data = Json.MAPPER.readTree(body).get("data");
        } catch (IOException e) {
            throw new IOException("an answer that is not JSON");
        }
        if (data == null || !data.isArray()) throw new IOException("an answer without a data list");
        var ids = new ArrayList<String>();
        for (JsonNode m : data) if (m.path("id").isTextual() && !m.path("id").asText().isBlank()) ids.add(m.path("id").asText());
        return ids;
    }

    private static URI uri(DeploymentConfig d) {
        String base = d.baseUrl().toString().replaceAll("/+$", "");
        if ("anthropic".equals(d.provider())) return URI.create((base.endsWith("/v1") ? base : base + "/v1") + "/models?limit=1000");
        return URI.create(base + "/models");
    }
}
