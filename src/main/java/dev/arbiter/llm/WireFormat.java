package dev.arbiter.llm;

/** The wire formats Arbiter speaks, at its edge and toward upstreams. */
public enum WireFormat {
    /** OpenAI chat completions ({@code /v1/chat/completions}), also legacy completions and embeddings. */
    OPENAI_CHAT,
    /** OpenAI Responses ({@code /v1/responses}). */
    OPENAI_RESPONSES,
    /** Anthropic Messages ({@code /v1/messages}). */
    ANTHROPIC_MESSAGES
}
