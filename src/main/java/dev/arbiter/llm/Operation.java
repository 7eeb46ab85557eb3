package dev.arbiter.llm;

/** What a request asks of a model, independent of the wire format it arrived in. */
public enum Operation {
    CHAT,
    COMPLETION,
    EMBEDDING;

    /** The name used in errors and logs, e.g. "chat". */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
