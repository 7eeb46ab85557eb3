package dev.arbiter.cache.semantic;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.Objects;

/**
 * One prompt in a {@link VectorIndex}: what the cache stores beside a response to find it again by meaning.
 *
 * @param id the cache's key of the stored response this prompt was answered with
 * @param partition the context signature (model, system prompt, earlier turns, tools, parameters, caller) hashed
 * @param prompt the final user turn that was embedded (the guards compare it with a new prompt)
 * @param vector its unit-length embedding
 * @param expiresAt when the entry stops matching (the response's own expiry)
 */
public record IndexEntry(String id, String partition, String prompt, float[] vector, Instant expiresAt) {
    public IndexEntry {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(vector, "vector");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }

    /** {@code vector} as little-endian float32 bytes, for storing an entry in a tier. */
    public static byte[] bytes(float[] vector) {
        ByteBuffer b = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(vector);
        return b.array();
    }

    /** The vector {@link #bytes} wrote. */
    public static float[] vector(byte[] bytes) {
        if (bytes.length % Float.BYTES != 0) throw new IllegalArgumentException("vector bytes: " + bytes.length + " (expected: a multiple of 4)");
        float[] v = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }
}
