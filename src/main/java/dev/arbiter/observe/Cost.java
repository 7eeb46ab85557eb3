package dev.arbiter.observe;

import dev.arbiter.config.PriceConfig;
import dev.arbiter.llm.Usage;

/** What a call cost: usage times the deployment's prices per million tokens, in US dollars. */
public final class Cost {
    private Cost() {}

    public static double usd(Usage u, PriceConfig p) {
        return (u.uncachedInputTokens() * p.input()
                + u.cacheReadTokens() * p.cacheReadPrice()
                + u.cacheWriteTokens() * p.cacheWritePrice()
                + u.outputTokens() * p.output()) / 1_000_000.0;
    }
}
