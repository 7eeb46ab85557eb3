package dev.arbiter.reasoning;

import dev.arbiter.config.Secret;
import dev.arbiter.config.Section;
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
    /** The {@code reasoning:} block. */
    public static final Section<ReasoningConfig> SECTION = Section.top("reasoning", GENERATED, n -> {
        n.hint("the reasoning envelope's HMAC key");
        return new ReasoningConfig(n.secret("key"));
    });

    public ReasoningEnvelope envelope() {
        if (key == null || key.isEmpty()) return new ReasoningEnvelope(ReasoningEnvelope.randomKey());
        try {
            return new ReasoningEnvelope(MessageDigest.getInstance("SHA-256").digest(key.reveal().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
