package dev.arbiter.cache.semantic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Optional;

/**
 * The gateway's configured embeddings models, as the semantic cache reaches them when {@code cache.semantic.model:
 * {upstream: NAME}} names one: the gateway's own provider clients, with the deployment's credentials, so the cache
 * needs no URL or key of its own. {@link #NONE} has none.
 */
public interface EmbeddingModels {
    EmbeddingModels NONE = new EmbeddingModels() {
        @Override
        public Optional<String> problem(String model) {
            return Optional.of("no such model");
        }

        @Override
        public JsonNode send(String model, ObjectNode body, Duration timeout) {
            throw new IllegalStateException("no embeddings model " + model);
        }
    };

    /** Why {@code model} cannot serve the semantic cache's embeddings (unknown, or not an embeddings model); empty if it can. */
    Optional<String> problem(String model);

    /**
     * Sends the OpenAI embeddings body {@code body} to the logical model {@code model} within {@code timeout} and
     * returns the answer's body; throws {@link IllegalStateException} when no deployment answered.
     */
    JsonNode send(String model, ObjectNode body, Duration timeout);
}
