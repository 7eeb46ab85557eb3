package dev.arbiter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.cache.semantic.EmbeddingModels;
import dev.arbiter.chat.ChatCodec;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.ErrorKind;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.pipeline.Caller;
import dev.arbiter.pipeline.Deadline;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.provider.Deployment;
import dev.arbiter.route.ModelRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The semantic cache's way to the gateway's embeddings models ({@code cache.semantic.model: {upstream: NAME}}): the
 * request is decoded as a client's {@code POST /v1/embeddings} would be and sent by each deployment's own provider,
 * with its base URL, credentials, TLS and connection pool, in the order configured, until one answers or the time is
 * up. Like a health probe, it goes outside the stages (no caller, no limits, breakers or retries of a client's
 * request): a failure only makes a lookup a miss, and the next lookup tries again.
 */
final class ModelEmbeddings implements EmbeddingModels {
    private final ModelRegistry registry;

    ModelEmbeddings(ModelRegistry registry) {
        this.registry = registry;
    }

    @Override
    public Optional<String> problem(String model) {
        Optional<ModelRegistry.Model> m = registry.find(model);
        if (m.isEmpty() || m.get().catchAll() && !m.get().name().equals(model)) return Optional.of("not a configured model");
        if (!m.get().embeddings()) return Optional.of("a chat model: it has no embeddings: true");
        return Optional.empty();
    }

    @Override
    public JsonNode send(String model, ObjectNode body, Duration timeout) {
        ModelRegistry.Model m = registry.find(model).orElseThrow(() -> new IllegalStateException("no embeddings model " + model));
        LlmRequest request = ChatCodec.decodeEmbedding(body);
        Deadline deadline = Deadline.after(timeout, System::nanoTime);
        String last = "no deployment";
        for (Deployment d : m.deployments()) {
            if (deadline.passed()) {
                last = "timed out";
                break;
            }
            var exchange = Exchange.of("semantic-cache-embedding", Caller.ANONYMOUS, request, deadline, Map.of());
            try {
                Reply reply = d.provider().call(exchange, d);
                if (reply instanceof Reply.Complete c && c.response().raw() != null) return c.response().raw();
                if (reply instanceof Reply.Streaming s) s.stream().close();
                last = d.name() + ": no embeddings in the answer";
            } catch (ArbiterException e) {
                // the kind of failure only: an upstream's body or message stays in the gateway's own logs
                last = d.name() + ": " + (e instanceof ArbiterException.Upstream u && u.status() > 0 ? "status " + u.status()
                        : ErrorKind.of(e).openAiType());
            }
        }
        throw new IllegalStateException("embeddings model " + m.name() + ": " + last);
    }
}
