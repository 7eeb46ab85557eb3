package dev.arbiter.mock;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the fake refuses or caps so that no request can make it build an answer too large for memory: the fields
 * that multiply an answer ({@code n}, completion prompts, embedding inputs and dimensions) are refused beyond
 * OpenAI's own bounds, and the tokens of one answer, all its choices together, are capped whatever
 * {@code max_tokens} asks (a choice cut by the cap ends with finish reason {@code length}, as at max_tokens).
 * The HTTP fake answers a refusal with 400; the in-process provider raises it as a bad request.
 */
final class MockLimits {
    static final int MAX_N = 128;
    /** Embedding inputs and completion prompts in one request; also the most choices of one completion. */
    static final int MAX_INPUTS = 2048;
    /** The tokens of one answer, all its choices together. */
    static final int MAX_ANSWER_TOKENS = 262_144;
    /** Embedding inputs times dimensions: 2048 vectors of 2048 numbers. */
    static final long MAX_EMBEDDING_NUMBERS = 2048L * 2048;

    private MockLimits() {}

    /** A request beyond one of the limits; {@code param} names the field. */
    static final class Exceeded extends IllegalArgumentException {
        final String param;

        Exceeded(String param, String message) {
            super(param + ": " + message);
            this.param = param;
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** A body's {@code n}: 1 when absent or null, refused outside 1..{@link #MAX_N}. */
    static int n(JsonNode body) {
        JsonNode v = body.get("n");
        if (v == null || v.isNull()) return 1;
        if (!v.canConvertToInt() || !v.isIntegralNumber()) throw new Exceeded("n", v + " (expected: an integer 1.." + MAX_N + ")");
        return n(v.asInt());
    }

    static int n(int n) {
        if (n < 1 || n > MAX_N) throw new Exceeded("n", n + " (expected: 1.." + MAX_N + ")");
        return n;
    }

    /** The most tokens each of {@code choices} choices may have. */
    static int tokensPerChoice(long choices) {
        return (int) Math.max(1, MAX_ANSWER_TOKENS / Math.max(1, choices));
    }

    /** The choices of a completion of {@code prompts} prompts with {@code n} each, refused beyond {@link #MAX_INPUTS}. */
    static int choices(int prompts, int n) {
        long choices = (long) prompts * n(n);
        if (choices > MAX_INPUTS) {
            throw new Exceeded("prompt", prompts + " prompts x n " + n + " = " + choices + " choices (expected: at most "
                    + MAX_INPUTS + ")");
        }
        return (int) choices;
    }

    static void embeddings(int inputs, int dimensions) {
        if (inputs > MAX_INPUTS) throw new Exceeded("input", inputs + " inputs (expected: at most " + MAX_INPUTS + ")");
        if ((long) inputs * dimensions > MAX_EMBEDDING_NUMBERS) {
            throw new Exceeded("dimensions", inputs + " inputs x " + dimensions + " dimensions (expected: at most "
                    + MAX_EMBEDDING_NUMBERS + " numbers)");
        }
    }
}
