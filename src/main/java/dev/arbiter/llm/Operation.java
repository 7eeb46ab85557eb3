package dev.arbiter.llm;

/** What a request asks of a model (or of Arbiter's state), independent of the wire format it arrived in. */
public enum Operation {
    CHAT,
    COMPLETION,
    EMBEDDING,
    /** Count a Messages request's input tokens (Anthropic's {@code count_tokens}): the model is asked nothing. */
    COUNT_TOKENS,
    /** Read, list the input items of, or delete a stored response: answered from Arbiter's own state. */
    STORED_RESPONSE;

    /** The name used in errors and logs, e.g. "chat". */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
