package dev.arbiter.cache;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.StreamEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;

/**
 * Stored answers as bytes, for the tiers beyond memory and for the memory tier's weight: one version byte, then the
 * answer in the internal model as JSON (Jackson, with the sealed types' names added by mix-ins, so the {@code llm}
 * records need no annotations), deflated. A stream's frames compress about tenfold: each repeats its envelope.
 * A value of another version, or one that does not read, is a miss, never an error: a rolling upgrade that changes
 * the form only costs the old entries.
 */
final class AnswerCodec {
    /** The form of a stored value; bumped whenever it changes. */
    static final byte VERSION = 1;

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .addMixIn(Part.class, PartTypes.class)
            .addMixIn(StreamEvent.class, EventTypes.class)
            .addMixIn(CachedAnswer.Body.class, BodyTypes.class);

    private AnswerCodec() {}

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@")
    @JsonSubTypes({
            @JsonSubTypes.Type(value = Part.Text.class, name = "t"),
            @JsonSubTypes.Type(value = Part.Image.class, name = "i"),
            @JsonSubTypes.Type(value = Part.File.class, name = "f"),
            @JsonSubTypes.Type(value = Part.ToolCall.class, name = "c"),
            @JsonSubTypes.Type(value = Part.CustomToolCall.class, name = "u"),
            @JsonSubTypes.Type(value = Part.ToolResult.class, name = "r"),
            @JsonSubTypes.Type(value = Part.Reasoning.class, name = "z"),
            @JsonSubTypes.Type(value = Part.Opaque.class, name = "o")})
    private interface PartTypes {}

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@")
    @JsonSubTypes({
            @JsonSubTypes.Type(value = StreamEvent.Started.class, name = "s"),
            @JsonSubTypes.Type(value = StreamEvent.TextDelta.class, name = "t"),
            @JsonSubTypes.Type(value = StreamEvent.ReasoningDelta.class, name = "r"),
            @JsonSubTypes.Type(value = StreamEvent.ReasoningSignature.class, name = "g"),
            @JsonSubTypes.Type(value = StreamEvent.RedactedReasoning.class, name = "x"),
            @JsonSubTypes.Type(value = StreamEvent.ToolCallStarted.class, name = "c"),
            @JsonSubTypes.Type(value = StreamEvent.ToolArgumentsDelta.class, name = "a"),
            @JsonSubTypes.Type(value = StreamEvent.Finished.class, name = "f"),
            @JsonSubTypes.Type(value = StreamEvent.UsageReported.class, name = "u"),
            @JsonSubTypes.Type(value = StreamEvent.Completed.class, name = "e")})
    private interface EventTypes {}

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@")
    @JsonSubTypes({
            @JsonSubTypes.Type(value = CachedAnswer.Whole.class, name = "whole"),
            @JsonSubTypes.Type(value = CachedAnswer.Recorded.class, name = "stream")})
    private interface BodyTypes {}

    static byte[] encode(CachedAnswer a) {
        return encodeValue(a);
    }

    /** Any value of the internal model (a stored response too) in the same form. */
    static byte[] encodeValue(Object a) {
        var out = new ByteArrayOutputStream(1024);
        out.write(VERSION);
        var deflater = new Deflater(Deflater.BEST_SPEED);
        try (var z = new DeflaterOutputStream(out, deflater, 4096)) {
            MAPPER.writeValue(z, a);
        } catch (IOException e) {
            throw new IllegalStateException("an answer could not be serialised", e);
        } finally {
            deflater.end();
        }
        return out.toByteArray();
    }

    /** The answer, or empty for bytes of another version or that do not read. */
    static Optional<CachedAnswer> decode(byte[] bytes) {
        return decodeValue(bytes, CachedAnswer.class);
    }

    static <T> Optional<T> decodeValue(byte[] bytes, Class<T> type) {
        if (bytes == null || bytes.length < 2 || bytes[0] != VERSION) return Optional.empty();
        try (InputStream in = new InflaterInputStream(new java.io.ByteArrayInputStream(bytes, 1, bytes.length - 1))) {
            return Optional.of(MAPPER.readValue(in, type));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
