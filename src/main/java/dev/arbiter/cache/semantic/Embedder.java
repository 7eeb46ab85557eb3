package dev.arbiter.cache.semantic;

/**
 * Turns a prompt into a unit-length vector whose dot product with another prompt's vector is their cosine
 * similarity. Implementations are thread-safe and deterministic: the same text gives the same vector.
 */
public interface Embedder extends AutoCloseable {
    /** The vector of {@code text}, of length {@link #dimension()}, normalised to unit length. */
    float[] embed(String text);

    /** The length of every vector this embedder returns. */
    int dimension();

    /** The model's name, as configured (part of what an index entry was made with: vectors of two models never mix). */
    String name();

    @Override
    default void close() {
    }

    /** {@code v} scaled to unit length, in place; a zero vector is returned unchanged. */
    static float[] normalise(float[] v) {
        double sum = 0;
        for (float x : v) sum += (double) x * x;
        if (sum == 0) return v;
        float inv = (float) (1 / Math.sqrt(sum));
        for (int i = 0; i < v.length; i++) v[i] *= inv;
        return v;
    }

    /** The cosine similarity of two unit vectors. */
    static float cosine(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("vector lengths: " + a.length + " and " + b.length);
        double dot = 0;
        for (int i = 0; i < a.length; i++) dot += (double) a[i] * b[i];
        return (float) dot;
    }
}
