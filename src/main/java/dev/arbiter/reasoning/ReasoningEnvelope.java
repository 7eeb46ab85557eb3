package dev.arbiter.reasoning;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.wire.Json;
import dev.arbiter.llm.WireFormat;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Arbiter's authenticated envelope for reasoning that crosses wire formats.
 *
 * <p>Agents send a model's reasoning back on the next turn of a tool loop, and the real APIs reject it when it
 * comes back changed. When Arbiter makes a thinking block or reasoning item from another backend's reasoning,
 * it cannot produce that backend's own signature; instead it puts an envelope in the {@code signature} /
 * {@code encrypted_content} field, holding what the backend needs back: the reasoning text or the backend's own
 * opaque token, its format, model and item id. On the echo, {@link #open} checks the HMAC-SHA256 tag and gives
 * back exactly what was sealed; the backend's form is rebuilt from that, never from the echoed text. A token
 * that is not an envelope, or fails its check, opens to empty and must be dropped, never forwarded.
 *
 * <p>Format: {@code arb1.<base64url(json)>.<base64url(hmac)>}. The key comes from config or is generated at
 * start, in which case envelopes do not survive a restart (their reasoning is then dropped, as after a
 * fallback to another backend). One instance belongs to one gateway and is passed to what seals and opens
 * reasoning (the attempt step's {@link ReasoningSeal}, the Responses encoders): two gateways in one process keep
 * apart, each refusing the other's envelopes unless they share a configured key.
 */
public final class ReasoningEnvelope {
    private static final String PREFIX = "arb1.";
    private final SecretKeySpec key;

    /** What the backend that produced some reasoning needs back to continue from it. */
    public record Sealed(WireFormat format, String model, String text, String token, String itemId, boolean redacted) {}

    public ReasoningEnvelope(byte[] key) {
        if (key.length < 16) throw new IllegalArgumentException("reasoning key must be at least 16 bytes");
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
    }

    public static byte[] randomKey() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return k;
    }

    public static boolean isEnvelope(String token) {
        return token != null && token.startsWith(PREFIX);
    }

    public String seal(Sealed s) {
        ObjectNode o = Json.object().put("f", s.format().name()).put("m", s.model());
        if (s.text() != null) o.put("t", s.text());
        if (s.token() != null) o.put("k", s.token());
        if (s.itemId() != null) o.put("i", s.itemId());
        if (s.redacted()) o.put("r", true);
        String payload = Base64.getUrlEncoder().withoutPadding().encodeToString(Json.bytes(o));
        return PREFIX + payload + "." + tag(payload);
    }

    /** The sealed content, if {@code token} is an intact envelope made with this key. */
    public Optional<Sealed> open(String token) {
        if (!isEnvelope(token)) return Optional.empty();
        int dot = token.lastIndexOf('.');
        if (dot <= PREFIX.length()) return Optional.empty();
        String payload = token.substring(PREFIX.length(), dot);
        byte[] expected = tag(payload).getBytes(StandardCharsets.US_ASCII);
        byte[] given = token.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, given)) return Optional.empty();
        try {
            JsonNode o = Json.parse(Base64.getUrlDecoder().decode(payload));
            return Optional.of(new Sealed(WireFormat.valueOf(o.path("f").asText()), Json.text(o, "m"), Json.text(o, "t"),
                    Json.text(o, "k"), Json.text(o, "i"), o.path("r").asBoolean(false)));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The sealed content if it belongs to {@code format} and {@code model}; otherwise empty (drop it). */
    public Optional<Sealed> openFor(String token, WireFormat format, String model) {
        return open(token).filter(s -> s.format() == format && (s.model() == null || s.model().equals(model)));
    }

    private String tag(String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(payload.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
