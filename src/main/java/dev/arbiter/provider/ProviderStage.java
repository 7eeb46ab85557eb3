package dev.arbiter.provider;

import dev.arbiter.error.ArbiterException;
import dev.arbiter.limit.ConcurrencyLimiter;
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
    @Override
    public Reply apply(Exchange exchange, Chain next) {
        Deployment d = exchange.attribute(Deployment.CHOSEN)
                .orElseThrow(() -> new ArbiterException.Internal("no deployment chosen before the provider stage"));
        exchange.deadline().check("before calling " + d.name());
        ConcurrencyLimiter.Permit permit = d.limiter() == null ? null : d.limiter().acquire(exchange.deadline().remaining());
        try {
            Reply reply = d.provider().call(exchange, d);
            if (permit != null && reply instanceof Reply.Streaming s) {
                return s.withStream(Streams.onClose(s.stream(), permit::close));
            }
            if (permit != null) permit.close();
            return reply;
        } catch (RuntimeException e) {
            if (permit != null) permit.close();
            throw e;
        }
    }
}
