package dev.arbiter.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * How secrets are made, kept and compared. A key is {@code sk-arb-} and 43 characters of 256 random bits; Arbiter
 * keeps its SHA-256 only. An unsalted fast hash is enough here (as GitHub and Stripe keep tokens): the secret has
 * full entropy, so there is nothing to guess from the hash; a slow hash would only cost the hot path. Lookups go by
 * hash, and the stored hash is compared again with {@link MessageDigest#isEqual} (constant time).
 */
public final class KeyHash {
    static final String SCHEME = "sk-arb-";
    /** How many characters of a key are shown: the scheme and five more. */
    static final int PREFIX_CHARS = SCHEME.length() + 5;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Cloned for each hash: cheaper than {@link MessageDigest#getInstance}'s provider lookup on every request. */
    private static final MessageDigest SHA_256 = sha256();

    private KeyHash() {
    }

    /** A new secret. */
    static String newSecret() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return SCHEME + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static String newId() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return "vk_" + HexFormat.of().formatHex(b);
    }

    /** The SHA-256 of a secret, hex. */
    public static String of(String secret) {
        return HexFormat.of().formatHex(digest(secret));
    }

    static byte[] digest(String secret) {
        MessageDigest md;
        try {
            md = (MessageDigest) SHA_256.clone();
        } catch (CloneNotSupportedException e) {
            md = sha256();   // a provider whose digest cannot be cloned (the JDK's own can)
        }
        return md.digest(secret.getBytes(StandardCharsets.UTF_8));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** What may be shown of a secret: at most its first characters, and never more than half of it. */
    static String prefix(String secret) {
        return secret.substring(0, Math.min(PREFIX_CHARS, secret.length() / 2));
    }

    /** Constant-time equality of two hex hashes. */
    static boolean same(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
    }
}
