package dev.arbiter.auth;

import dev.arbiter.pipeline.Attribute;
import java.util.Optional;

/**
 * The credential a client sent, as the edge read it: {@code Authorization} (the OpenAI SDKs' {@code Bearer ...}) and
 * {@code x-api-key} (the Anthropic SDKs', Claude Code's). Carried on the exchange only as far as the stage that
 * resolves it into a caller; never among the forwarded headers, never printed ({@link #toString} hides the values).
 */
public record Credential(Optional<String> authorization, Optional<String> apiKey) {
    /** The credential of the request, set by the edge. */
    public static final Attribute<Credential> KEY = Attribute.of("credential", Credential.class);
    public static final Credential NONE = new Credential(Optional.empty(), Optional.empty());

    @Override
    public String toString() {
        return "Credential[" + (authorization.isPresent() ? "authorization" : "") + (apiKey.isPresent() ? " x-api-key" : "") + "]";
    }
}
