package dev.arbiter.config;

/**
 * A credential read from config. Its {@link #toString()} never shows the value, so a secret that ends up in
 * a log line, an error or a config dump prints as {@code ****}; only {@link #reveal()} gives it, for the one
 * place that sends it upstream.
 */
public final class Secret {
    private final String value;
    private final String source;

    public Secret(String value, String source) {
        this.value = value;
        this.source = source;
    }

    public String reveal() {
        return value;
    }

    /** Where it came from, safe to show, e.g. "${OPENAI_API_KEY}". */
    public String source() {
        return source;
    }

    public boolean isEmpty() {
        return value == null || value.isEmpty();
    }

    @Override
    public String toString() {
        return "****";
    }
}
