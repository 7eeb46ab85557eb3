package dev.arbiter.limit;

import dev.arbiter.llm.LlmRequest;
import dev.arbiter.pipeline.Attribute;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.wire.TokenCounter;

/**
 * A request's input tokens as the tokenizer counted them ({@link TokenCounter#countInput}), kept on the exchange by
 * the first stage that counted them so that the stages after it (the rate limits' estimate, then the budgets') do not
 * tokenize the same request again: counting is the costliest step of admitting a keyed request. The count is tied to
 * the request it was made for, so a stage that rewrote the request in between gets a fresh count. The tokenizer
 * remembers the caller's texts (a conversation resends its earlier messages), for this caller only.
 */
public record InputTokens(LlmRequest request, long count) {
    public static final Attribute<InputTokens> KEY = Attribute.of("input-tokens", InputTokens.class);

    /** The input tokens of the exchange's request: the count already on it, else the tokenizer's. */
    public static long of(Exchange exchange) {
        InputTokens known = exchange.attribute(KEY).orElse(null);
        if (known != null && known.request() == exchange.request()) return known.count();
        return TokenCounter.countInput(exchange.request(), exchange.caller().id());
    }

    @Override
    public String toString() {
        return "InputTokens[" + count + "]";
    }
}
