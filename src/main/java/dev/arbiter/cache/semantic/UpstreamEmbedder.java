package dev.arbiter.cache.semantic;

import com.fasterxml.jackson.databind.JsonNode;
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
 * An embedder that asks an OpenAI-compatible {@code POST /v1/embeddings} endpoint: for a model better than the one
 * shipped, at the price of a network round trip per lookup. A failure (status, timeout, malformed answer) throws
 * {@link IllegalStateException}; the cache treats the request as not cacheable by meaning.
 */
public final class UpstreamEmbedder implements Embedder {
    private final URI endpoint;
    private final String model;
    private final int dimension;
    private final Optional<String> apiKey;
    private final Duration timeout;
    private final HttpClient http;

    /**
     * @param baseUrl the API's base, e.g. {@code https://api.openai.com/v1} ({@code /embeddings} is appended)
     * @param model the upstream model's name
     * @param dimension the length of its vectors
     * @param apiKey sent as a bearer token when present
     * @param timeout the longest wait for an answer
     */
    public UpstreamEmbedder(URI baseUrl, String model, int dimension, Optional<String> apiKey, Duration timeout) {
        String base = baseUrl.toString();
        this.endpoint = URI.create((base.endsWith("/") ? base : base + "/") + "embeddings");
        this.model = model;
        this.dimension = dimension;
        this.apiKey = apiKey;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    public float[] embed(String text) {
        var body = Json.NODES.objectNode().put("model", model).put("input", text);
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
        JsonNode vector;
        try {
            vector = Json.MAPPER.readTree(response.body()).path("data").path(0).path("embedding");
        } catch (IOException e) {
            throw new IllegalStateException("embeddings upstream " + endpoint + ": not JSON", e);
        }
        if (!vector.isArray() || vector.size() != dimension) {
            throw new IllegalStateException("embeddings upstream " + endpoint + ": a vector of " + vector.size()
                    + " numbers (expected: " + dimension + ")");
        }
        float[] v = new float[dimension];
        for (int i = 0; i < dimension; i++) v[i] = (float) vector.get(i).asDouble();
        return Embedder.normalise(v);
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public String name() {
        return model;
    }

    @Override
    public void close() {
        http.close();
    }
}
