package dev.arbiter.limit;

import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.Usage;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.Stage;
import dev.arbiter.pipeline.Streams;
import java.util.Map;

/**
 * Admits a request under the rate limits of every tier that applies ({@link RateLimits}), refusing it with 429 when
 * one is reached, and writes the {@code x-ratelimit-*} headers on every answer, refusals included. When the answer is
 * complete (a stream: when it closes) the token limits are corrected with the real usage (the tokenizer's count when
 * the upstream reported none). Stored-response reads and {@code count_tokens} call no model and are not limited.
 */
public final class RateLimitStage implements Stage {
    private final RateLimits limits;

    public RateLimitStage(RateLimits limits) {
        this.limits = limits;
    }

    @Override
    public Reply apply(Exchange exchange, Chain next) {
        Operation op = exchange.request().operation();
        if (op == Operation.STORED_RESPONSE || op == Operation.COUNT_TOKENS) return next.proceed(exchange);
        Admission a = limits.admit(exchange);
        // the budgets' estimate, after this stage, reuses the count of input tokens the token rules' estimate made
        Exchange onward = a.counted() == null ? exchange : exchange.with(InputTokens.KEY, a.counted());
        if (a.none()) return next.proceed(onward);
        Map<String, String> headers = a.headers();
        Reply reply;
        try {
            reply = next.proceed(onward);
        } catch (ArbiterException e) {
            a.giveBack();
            headers.forEach((k, v) -> { if (!e.headers().containsKey(k)) e.withHeader(k, v); });
            throw e;
        } catch (RuntimeException e) {
            a.giveBack();
            throw e;
        }
        reply = reply.withHeaders(headers);
        return switch (reply) {
            case Reply.Complete c -> {
                a.settle(c.response().usage() != null ? c.response().usage() : Usage.NONE);
                yield c;
            }
            case Reply.Streaming s -> {
                var watch = new StreamUsage(exchange.request());
                yield s.withStream(Streams.observe(s.stream(), watch::frame, () -> a.settle(watch.usage())));
            }
        };
    }
}
