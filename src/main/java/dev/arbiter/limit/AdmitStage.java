package dev.arbiter.limit;

import dev.arbiter.auth.ApiKey;
import dev.arbiter.auth.Priority;
import dev.arbiter.pipeline.Attribute;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.Stage;
import dev.arbiter.pipeline.Streams;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Admits a request into the gateway-wide in-flight limit, holding its slot until the answer is complete. Its
 * priority class: the {@code x-arbiter-priority} header (critical, high, normal, low) capped at its key's
 * {@code max-priority}, else its key's {@code priority}; without a key, the header capped at normal.
 */
public final class AdmitStage implements Stage {
    /** The request's priority class, as admitted here; a deployment's own queue serves it by the same class. */
    public static final Attribute<Priority> PRIORITY = Attribute.of("priority", Priority.class);

    private final ConcurrencyLimiter limiter;

    public AdmitStage(ConcurrencyLimiter limiter) {
        this.limiter = limiter;
    }

    static Priority priority(Exchange exchange) {
        var key = exchange.attribute(ApiKey.KEY);
        Priority max = key.map(k -> k.spec().maxPriority()).orElse(Priority.NORMAL);
        Priority dflt = key.map(k -> k.spec().priority()).orElse(Priority.NORMAL);
        return exchange.header("x-arbiter-priority").flatMap(Priority::parse).map(p -> p.cappedAt(max)).orElse(dflt);
    }

    @Override
    public Reply apply(Exchange exchange, Chain next) {
        Priority p = priority(exchange);
        if (p != Priority.NORMAL) exchange.trace().note("priority", p.label());
        ConcurrencyLimiter.Permit permit = limiter.acquire(exchange.deadline().remaining(), p);
        try {
            Reply reply = next.proceed(exchange.with(PRIORITY, p));
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

    /** Registers {@code arbiter_admit_queue_depth{class}}: how many requests wait for a slot, per priority class. */
    public void registerMetrics(MeterRegistry registry) {
        for (Priority p : Priority.values()) {
            Gauge.builder("arbiter.admit.queue.depth", limiter, l -> l.waiting(p))
                    .description("Requests waiting for a gateway-wide slot, by priority class").tag("class", p.label()).register(registry);
        }
    }
}
