package dev.arbiter.auth;

import dev.arbiter.pipeline.Attribute;
import dev.arbiter.pipeline.Caller;
import java.time.Instant;

/**
 * One API key as Arbiter keeps it: never the secret, only its SHA-256 ({@link KeyHash}) and its first characters
 * to show. {@code source} is {@code config} for a static key, {@code admin} for a virtual one.
 *
 * @param id        a stable id (virtual keys: {@code vk_...}; static keys: {@code static:<name>})
 * @param prefix    the first characters of the secret, safe to show
 * @param hash      the secret's SHA-256, hex
 * @param revokedAt when it was revoked, or {@link KeySpec#NEVER}
 */
public record ApiKey(String id, String prefix, String hash, KeySpec spec, String source, Instant createdAt, Instant revokedAt) {
    /** The key that authenticated a request, put on the exchange for the stages after authentication. */
    public static final Attribute<ApiKey> KEY = Attribute.of("api-key", ApiKey.class);

    public boolean revoked() {
        return !revokedAt.equals(KeySpec.NEVER);
    }

    public boolean expired(Instant now) {
        return !now.isBefore(spec.expiresAt());
    }

    /** The caller this key makes: scoped by the key's id, named by it, with its team and user. */
    public Caller caller() {
        return new Caller("key:" + id, spec.name(), spec.team(), spec.user());
    }

    @Override
    public String toString() {
        return "ApiKey[" + id + " " + prefix + "... " + spec.name() + "]";
    }
}
