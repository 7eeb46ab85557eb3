package dev.arbiter.provider;

import dev.arbiter.error.ArbiterException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.limit.ConcurrencyLimiter;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Tool;
import dev.arbiter.llm.WireFormat;
import java.util.ArrayList;
import java.util.List;
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
    static List<String> hostedTools(LlmRequest req, Deployment d) {
        if (req.tools().isEmpty() || req.format() == d.nativeFormat()) return List.of();
        var hosted = new ArrayList<String>();
        for (int i = 0; i < req.tools().size(); i++) {
            Tool t = req.tools().get(i);
            if (t.isFunction() || t.isCustom()) continue;
            if ("reject".equals(d.config().hostedTools())) {
                throw new ArbiterException.BadRequest("Tool type '" + t.type() + "' is not supported by the backend of model '"
                        + d.model() + "' (deployment " + d.name() + ")", "tools[" + i + "].type", "unsupported_tool");
            }
            hosted.add(t.type());
        }
        return hosted;
    }

    static LlmRequest forBackend(LlmRequest req, Deployment d, ReasoningSeal seal) {
        if (req.format() == WireFormat.OPENAI_RESPONSES && d.nativeFormat() != WireFormat.OPENAI_RESPONSES) {
            var prev = req.extra().get("previous_response_id");
            if (prev != null && prev.isTextual()) {
                throw new ArbiterException.NotFound("Response with id '" + prev.asText() + "' not found.",
                        "previous_response_id", "not_found");
            }
        }
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
            List<String> dropped = hostedTools(req, d);
            Reply reply = d.provider().call(exchange.withRequest(forBackend(req, d, seal)), d);
            if (!dropped.isEmpty()) reply = reply.withHeader("x-arbiter-dropped-tools", String.join(",", dropped));
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
