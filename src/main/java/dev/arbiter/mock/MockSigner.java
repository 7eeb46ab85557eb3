package dev.arbiter.mock;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The fake's reasoning tokens: Anthropic thinking {@code signature}s and Responses {@code encrypted_content}. Like
 * the real APIs', they are opaque, bound to the reasoning they came with, and checked when a client echoes them, so
 * a gateway that alters reasoning on the way back fails against the fake as it would against the real thing.
 *
 * <p>Design. A token is {@code base64(version || t2 || t1)}, 33 bytes, with two truncated HMAC-SHA256 tags under the
 * fake's secret: {@code t2 = HMAC(kind, model, text)} binds the reasoning text, {@code t1 = HMAC("issued", kind,
 * model, t2)} says the fake issued the token for that model. A token comes back with its text (verify both tags) or
 * without it (Claude Code with thinking display omitted sends {@code ""}; a Responses reasoning item carries no raw
 * text): then only {@code t1} is checked, which still rejects any changed byte of the token. Stateless and
 * deterministic: no issued-token table, and the same (secret, kind, model, text) always gives the same token. The
 * secret derives from the config seed (a negative seed draws a random one), so fakes sharing a seed accept each
 * other's tokens, as replicas of one provider would. {@link Mac} is not thread-safe: each call clones a prototype.
 */
final class MockSigner {
    /** What a token authenticates; a token of one kind never verifies as another. */
    enum Kind {
        THINKING,
        REDACTED_THINKING,
        ENCRYPTED_REASONING
    }

    private static final byte VERSION = 1;
    private static final int TAG = 16;
    private final Mac prototype;

    MockSigner(long seed) {
        byte[] key = new byte[32];
        if (seed < 0) new SecureRandom().nextBytes(key);
        else key = sha256("arbiter-mock-signer:" + seed);
        try {
            prototype = Mac.getInstance("HmacSHA256");
            prototype.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** A token for {@code text}, reasoning produced by {@code model}. */
    String sign(Kind kind, String model, String text) {
        byte[] t2 = textTag(kind, model, text);
        byte[] t1 = issuedTag(kind, model, t2);
        byte[] out = ByteBuffer.allocate(1 + 2 * TAG).put(VERSION).put(t2).put(t1).array();
        return Base64.getEncoder().encodeToString(out);
    }

    /**
     * True when the fake issued {@code token} as {@code kind} for {@code model} and, when {@code text} is not empty,
     * for exactly that text.
     */
    boolean verify(Kind kind, String model, String text, String token) {
        if (token == null || token.isEmpty()) return false;
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (raw.length != 1 + 2 * TAG || raw[0] != VERSION) return false;
        byte[] t2 = Arrays.copyOfRange(raw, 1, 1 + TAG);
        byte[] t1 = Arrays.copyOfRange(raw, 1 + TAG, raw.length);
        if (!MessageDigest.isEqual(t1, issuedTag(kind, model, t2))) return false;
        return text == null || text.isEmpty() || MessageDigest.isEqual(t2, textTag(kind, model, text));
    }

    private byte[] textTag(Kind kind, String model, String text) {
        return tag(kind.name(), model, text);
    }

    private byte[] issuedTag(Kind kind, String model, byte[] t2) {
        return tag("issued", kind.name(), model, Base64.getEncoder().encodeToString(t2));
    }

    private byte[] tag(String... fields) {
        Mac mac;
        try {
            mac = (Mac) prototype.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
        for (String f : fields) {
            byte[] b = f.getBytes(StandardCharsets.UTF_8);
            mac.update(ByteBuffer.allocate(4).putInt(b.length).array());
            mac.update(b);
        }
        return Arrays.copyOf(mac.doFinal(), TAG);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
