package dev.arbiter.provider;

import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;

/**
 * Speaks one upstream API. {@link #call} sends the exchange's request to {@code deployment} (translating
 * the request from its inbound format where needed) and returns the answer as a {@link Reply}: complete, or
 * a stream whose frames arrive as the upstream sends them. It must respect the exchange's deadline, must
 * make the stream's {@code close()} cancel the upstream call, and reports failures as
 * {@link dev.arbiter.error.ArbiterException}s (mid-stream ones from the stream's {@code next()}).
 */
public interface Provider {
    Reply call(Exchange exchange, Deployment deployment);

    /**
     * The upstream's own count of the request's input tokens (Anthropic's {@code count_tokens}), or empty when the
     * upstream cannot count them and Arbiter's tokenizer estimate stands in.
     */
    default java.util.OptionalLong countInputTokens(Exchange exchange, Deployment deployment) {
        return java.util.OptionalLong.empty();
    }

    /** Releases connections and threads; the provider is not used afterwards. */
    default void close() {}
}
