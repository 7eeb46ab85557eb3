package dev.arbiter.reasoning;

import dev.arbiter.config.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The key of the {@link ReasoningEnvelope}. With no key, one is generated at start: envelopes then do not
 * survive a restart, and a restarted gateway drops the reasoning it sealed before (it never forwards it).
 * Set a key (e.g. {@code ${ARBITER_REASONING_KEY}}) to keep them valid across restarts and across nodes.
 */
public record ReasoningConfig(Secret key) {
    public static final ReasoningConfig GENERATED = new ReasoningConfig(null);

    public ReasoningEnvelope envelope() {
        if (key == null || key.isEmpty()) return new ReasoningEnvelope(ReasoningEnvelope.randomKey());
        try {
            return new ReasoningEnvelope(MessageDigest.getInstance("SHA-256").digest(key.reveal().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
