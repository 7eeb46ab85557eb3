package dev.arbiter.analyze;

import java.util.Arrays;

/**
 * Tukey's fences over a sliding window: a value is an anomaly when it lies above {@code Q3 + k * IQR} or below
 * {@code Q1 - k * IQR} of the {@code window} values before it (quartiles by linear interpolation). For a normal
 * stream, {@code k = 1.5} flags about 0.70% of values and {@code k = 3} about 0.00023%. Robust where the z-score is
 * not: a few huge outliers in the window do not widen the fences. O(window log window) per value, fine for the
 * windows of a few hundred values the analyzer keeps off the request path.
 */
public final class Iqr implements Detector {
    private final double k;
    private final double[] values;
    private final double[] sorted;
    private final int minSamples;
    private int next;
    private int size;

    public Iqr(int window, double k, int minSamples) {
        if (window < 4) throw new IllegalArgumentException("iqr window: " + window + " (expected: >= 4)");
        if (!(k > 0)) throw new IllegalArgumentException("iqr k: " + k + " (expected: > 0)");
        this.values = new double[window];
        this.sorted = new double[window];
        this.k = k;
        this.minSamples = Math.clamp(minSamples, 4, window);
    }

    @Override
    public String name() {
        return "iqr";
    }

    @Override
    public boolean add(double x) {
        boolean anomaly = false;
        if (size >= minSamples) {
            System.arraycopy(values, 0, sorted, 0, size);
            Arrays.sort(sorted, 0, size);
            double q1 = quantile(0.25);
            double q3 = quantile(0.75);
            double iqr = q3 - q1;
            anomaly = x > q3 + k * iqr || x < q1 - k * iqr;
        }
        values[next] = x;
        next = (next + 1) % values.length;
        if (size < values.length) size++;
        return anomaly;
    }

    private double quantile(double q) {
        double pos = q * (size - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, size - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    @Override
    public void reset() {
        next = 0;
        size = 0;
    }
}
