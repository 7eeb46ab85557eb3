package dev.arbiter.llm;

/**
 * Token usage of one call. {@code inputTokens} counts every input token, cached or not (OpenAI's
 * convention); {@code cacheReadTokens} and {@code cacheWriteTokens} are the parts of it read from and
 * written to a prompt cache; {@code reasoningTokens} is the part of {@code outputTokens} spent reasoning.
 * {@code estimated} is true when Arbiter counted with its own tokenizer because the upstream gave none.
 */
public record Usage(long inputTokens, long outputTokens, long cacheReadTokens, long cacheWriteTokens,
                    long reasoningTokens, boolean estimated) {
    public static final Usage NONE = new Usage(0, 0, 0, 0, 0, false);

    public Usage {
        if (inputTokens < 0 || outputTokens < 0 || cacheReadTokens < 0 || cacheWriteTokens < 0 || reasoningTokens < 0) {
            throw new IllegalArgumentException("token counts must be >= 0");
        }
    }

    public static Usage of(long input, long output) {
        return new Usage(input, output, 0, 0, 0, false);
    }

    public long totalTokens() {
        return inputTokens + outputTokens;
    }

    /** Input tokens neither read from nor written to a cache. */
    public long uncachedInputTokens() {
        return Math.max(0, inputTokens - cacheReadTokens - cacheWriteTokens);
    }
}
