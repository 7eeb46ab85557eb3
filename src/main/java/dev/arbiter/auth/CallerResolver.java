package dev.arbiter.auth;

import dev.arbiter.pipeline.Caller;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Who a request comes from, until API keys exist: the credential the client sent ({@code Authorization: Bearer ...}
 * as the OpenAI SDKs send it, else {@code x-api-key} as the Anthropic SDKs and Claude Code send it) reduced to a keyed
 * hash, so that stored objects are scoped to whoever holds the same credential and the credential itself is never
 * kept or shown. A request with no credential is {@link Caller#ANONYMOUS}.
 *
 * <p>The hash is HMAC-SHA256 under a key of this resolver's own (one per gateway, random unless given), so a caller
 * id read from a log cannot be tested against guessed credentials offline. Resolved ids are cached (bounded), so a
 * repeat caller costs a map lookup, not an HMAC.
 */
public final class CallerResolver {
    private static final int MAX_CREDENTIAL_CHARS = 4096;

    private final SecretKeySpec key;
    private final Cache<String, Caller> resolved = Caffeine.newBuilder().maximumSize(10_000).build();

    /** A resolver with the given HMAC key (at least 16 bytes). */
    public CallerResolver(byte[] key) {
        if (key.length < 16) throw new IllegalArgumentException("caller key: " + key.length + " bytes (expected: at least 16)");
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
    }

    /** A resolver with a random key: ids are stable for this gateway's lifetime. */
    public static CallerResolver random() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return new CallerResolver(k);
    }

    /**
     * The caller of a request with these header values (either may be empty). {@code Authorization} counts only with
     * a credential after its scheme; an over-long credential is hashed like any other (it cannot grow the cache: the
     * cache holds at most 10,000 entries and skips credentials over 4,096 characters).
     */
    public Caller resolve(Optional<String> authorization, Optional<String> apiKey) {
        String credential = credential(authorization, apiKey).orElse(null);
        if (credential == null) return Caller.ANONYMOUS;
        if (credential.length() > MAX_CREDENTIAL_CHARS) return hash(credential);
        return resolved.get(credential, this::hash);
    }

    /** The credential sent, if any: {@code Authorization}'s after its scheme, else {@code x-api-key}'s. */
    static Optional<String> credential(Optional<String> authorization, Optional<String> apiKey) {
        return authorization.map(CallerResolver::credentialOf).filter(s -> !s.isEmpty())
                .or(() -> apiKey.map(String::strip).filter(s -> !s.isEmpty()));
    }

    private static String credentialOf(String authorization) {
        String v = authorization.strip();
        int space = v.indexOf(' ');
        // "Bearer sk-..." and any other scheme: the credential is what follows the scheme; a scheme alone is none,
        // and a bare value counts whole
        if (space >= 0) return v.substring(space + 1).strip();
        return v.equalsIgnoreCase("bearer") || v.equalsIgnoreCase("basic") ? "" : v;
    }

    private Caller hash(String credential) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            byte[] h = mac.doFinal(credential.getBytes(StandardCharsets.UTF_8));
            return new Caller("key:" + Base64.getUrlEncoder().withoutPadding().encodeToString(h).substring(0, 22));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
