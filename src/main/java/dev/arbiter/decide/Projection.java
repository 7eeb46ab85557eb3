package dev.arbiter.decide;

import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A fixed random projection of a sentence embedding to a few dimensions (Johnson-Lindenstrauss: Gaussian entries of
 * variance 1/k keep distances within a small factor), so a contextual policy over it stays cheap. The matrix is drawn
 * from a fixed seed per (input, output) size: the same on every gateway and after every restart, as persisted policy
 * state requires.
 */
final class Projection {
    private static final ConcurrentHashMap<Long, double[]> MATRICES = new ConcurrentHashMap<>();

    private Projection() {
    }

    /** The first {@code k} coordinates of the projection of {@code e}. */
    static double[] of(float[] e, int k) {
        int d = e.length;
        double[] m = MATRICES.computeIfAbsent(((long) d << 32) | k, key -> {
            var random = new SplittableRandom(0x5eedL);
            double[] p = new double[k * d];
            for (int i = 0; i < p.length; i++) p[i] = random.nextGaussian() / Math.sqrt(k);
            return p;
        });
        double[] out = new double[k];
        for (int i = 0; i < k; i++) {
            double s = 0;
            for (int j = 0, o = i * d; j < d; j++) s += m[o + j] * e[j];
            out[i] = s;
        }
        return out;
    }
}
