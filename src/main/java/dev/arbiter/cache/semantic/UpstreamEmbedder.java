package dev.arbiter.cache.semantic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.wire.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * An embedder that asks an OpenAI-compatible embeddings model: for a model better than the one shipped, at the price
 * of a network round trip per lookup. In the gateway it goes through the gateway's own provider clients to a
 * configured logical model ({@link EmbeddingModels}, {@code cache.semantic.model: {upstream: NAME}}); the URL form
 * speaks to an endpoint directly. A failure (status, timeout, malformed answer) throws {@link IllegalStateException};
 * the cache treats the lookup as a miss.
 */
public final class UpstreamEmbedder implements Embedder {
    /** Sends one OpenAI embeddings request body, within {@code timeout}, and returns the answer's body; throws on failure. */
    @FunctionalInterface
    public interface Call {
        JsonNode send(ObjectNode body, Duration timeout);
    }

    private final String name;
    private final String model;
    private final Call call;
    private final int asked;
    private final Duration timeout;
    private final AutoCloseable resources;
    private volatile int dimension;

    /**
     * @param name the embedder's name (part of every index entry: vectors of two embedders never mix)
     * @param model the model named in the request body
     * @param call how a request is sent
     * @param dimensions asked of the model ({@code dimensions} in the body) when above 0; 0: its own length, learned
     *     from its first answer ({@link #dimension()} asks once when none came yet)
     * @param timeout the longest one call may take
     */
    public UpstreamEmbedder(String name, String model, Call call, int dimensions, Duration timeout) {
        this(name, model, call, dimensions, timeout, () -> { });
    }

    private UpstreamEmbedder(String name, String model, Call call, int dimensions, Duration timeout, AutoCloseable resources) {
        this.name = name;
        this.model = model;
        this.call = call;
        this.asked = dimensions;
        this.dimension = dimensions;
        this.timeout = timeout;
        this.resources = resources;
    }

    /**
     * An embedder for the endpoint {@code baseUrl + "/embeddings"} directly (a JDK client of its own).
     *
     * @param baseUrl the API's base, e.g. {@code https://api.openai.com/v1} ({@code /embeddings} is appended)
     * @param model the upstream model's name
     * @param dimension the length of its vectors
     * @param apiKey sent as a bearer token when present
     * @param timeout the longest wait for an answer
     */
    public UpstreamEmbedder(URI baseUrl, String model, int dimension, Optional<String> apiKey, Duration timeout) {
        this(http(baseUrl, apiKey, timeout), model, dimension, timeout);
    }

    private UpstreamEmbedder(Http http, String model, int dimension, Duration timeout) {
        this(model, model, http, dimension, timeout, http.client());
    }

    @Override
    public float[] embed(String text) {
        ObjectNode body = Json.NODES.objectNode().put("model", model).put("input", text).put("encoding_format", "float");
        if (asked > 0) body.put("dimensions", asked);
        JsonNode answer = call.send(body, timeout);
        JsonNode vector = answer == null ? null : answer.path("data").path(0).path("embedding");
        int expected = dimension;
        if (vector == null || !vector.isArray() || vector.isEmpty() || (expected > 0 && vector.size() != expected)) {
            throw new IllegalStateException("embeddings model " + model + ": a vector of " + (vector == null ? 0 : vector.size())
                    + " numbers (expected: " + (expected > 0 ? expected : "at least 1") + ")");
        }
        if (expected == 0) dimension = vector.size();
        float[] v = new float[vector.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) vector.get(i).asDouble();
        return Embedder.normalise(v);
    }

    /** The length of the vectors; when not configured and not learned yet, one call learns it (and may throw). */
    @Override
    public int dimension() {
        if (dimension == 0) embed("dimension");
        return dimension;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void close() {
        try {
            resources.close();
        } catch (Exception e) {
            // nothing held is worth failing a shutdown for
        }
    }

    private record Http(HttpClient client, Call call) implements Call {
        @Override
        public JsonNode send(ObjectNode body, Duration timeout) {
            return call.send(body, timeout);
        }
    }

    private static Http http(URI baseUrl, Optional<String> apiKey, Duration connectTimeout) {
        String base = baseUrl.toString();
        URI endpoint = URI.create((base.endsWith("/") ? base : base + "/") + "embeddings");
        HttpClient http = HttpClient.newBuilder().connectTimeout(connectTimeout).build();
        return new Http(http, (body, timeout) -> {
            var request = HttpRequest.newBuilder(endpoint).timeout(timeout).header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
            apiKey.ifPresent(k -> request.header("authorization", "Bearer " + k));
            HttpResponse<byte[]> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                throw new UncheckedIOException("embeddings upstream " + endpoint + ": " + e.getClass().getSimpleName(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while embedding", e);
            }
            if (response.statusCode() != 200) {
                throw new IllegalStateException("embeddings upstream " + endpoint + ": status " + response.statusCode());
            }
            try {
                return Json.MAPPER.readTree(response.body());
            } catch (IOException e) {
                throw new IllegalStateException("embeddings upstream " + endpoint + ": not JSON", e);
            }
        });
    }
}
