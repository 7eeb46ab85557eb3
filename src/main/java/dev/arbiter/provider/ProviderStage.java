package dev.arbiter.provider;

import dev.arbiter.error.ArbiterException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.limit.ConcurrencyLimiter;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.reasoning.ReasoningSeal;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.Stage;
import dev.arbiter.pipeline.Streams;
import dev.arbiter.route.Deployment;

/**
 * The innermost stage: holds the chosen deployment's in-flight slot for the whole call (a stream's until it is
 * closed) and calls its provider.
 */
public final class ProviderStage implements Stage {
    /**
     * The request as this backend may see it: reasoning from other backends dropped, Arbiter's envelopes
     * opened into this backend's own tokens (in the typed request, or in a copy of the pass-through body).
     */
    static LlmRequest forBackend(LlmRequest req, Deployment d, ReasoningSeal seal) {
        if (req.raw() != null && req.format() == d.nativeFormat()) {
            if (!ReasoningSeal.mayHoldEnvelopes(req)) return req;
            ObjectNode copy = req.raw().deepCopy();
            seal.unwrap(copy);
            return req.toBuilder().raw(copy).build();
        }
        return seal.resolve(req);
    }

    @Override
    public Reply apply(Exchange exchange, Chain next) {
        Deployment d = exchange.attribute(Deployment.CHOSEN)
                .orElseThrow(() -> new ArbiterException.Internal("no deployment chosen before the provider stage"));
        exchange.deadline().check("before calling " + d.name());
        ConcurrencyLimiter.Permit permit = d.limiter() == null ? null : d.limiter().acquire(exchange.deadline().remaining());
        try {
            LlmRequest req = exchange.request();
            var seal = new ReasoningSeal(d.nativeFormat(), d.upstreamModel(req.model()));
            Reply reply = d.provider().call(exchange.withRequest(forBackend(req, d, seal)), d);
            reply = switch (reply) {
                case Reply.Complete c -> new Reply.Complete(seal.seal(c.response()), c.servedBy(), c.headers());
                case Reply.Streaming s -> s.withStream(permit == null ? seal.seal(s.stream())
                        : Streams.onClose(seal.seal(s.stream()), permit::close));
            };
            if (permit != null && reply instanceof Reply.Complete) permit.close();
            return reply;
        } catch (RuntimeException e) {
            if (permit != null) permit.close();
            throw e;
        }
    }
}
