package dev.arbiter.limit;

import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.Stage;
import dev.arbiter.pipeline.Streams;

/** Admits a request into the gateway-wide in-flight limit, holding its slot until the answer is complete. */
public final class AdmitStage implements Stage {
    private final ConcurrencyLimiter limiter;

    public AdmitStage(ConcurrencyLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    public Reply apply(Exchange exchange, Chain next) {
        ConcurrencyLimiter.Permit permit = limiter.acquire(exchange.deadline().remaining());
        try {
            Reply reply = next.proceed(exchange);
            if (reply instanceof Reply.Streaming s) return s.withStream(Streams.onClose(s.stream(), permit::close));
            permit.close();
            return reply;
        } catch (RuntimeException e) {
            permit.close();
            throw e;
        }
    }

    public ConcurrencyLimiter limiter() {
        return limiter;
    }
}
