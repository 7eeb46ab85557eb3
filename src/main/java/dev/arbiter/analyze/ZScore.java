package dev.arbiter.analyze;

/**
 * A value is an anomaly when it lies more than {@code threshold} standard deviations from the mean of the
 * {@code window} values before it (mean and deviation of a sliding window, updated in O(1) per value). On a
 * stationary normal stream a threshold of 3 flags 0.27% of values (two-sided), of 4 about 0.006%. Flagged values
 * still enter the window, so a lasting shift stops being anomalous once the window has taken it in.
 */
public final class ZScore implements Detector {
    private final double threshold;
    private final double[] values;
    private final int minSamples;
    private int next;
    private int size;
    private double sum;
    private double sumSq;

    public ZScore(int window, double threshold, int minSamples) {
        if (window < 2) throw new IllegalArgumentException("z-score window: " + window + " (expected: >= 2)");
        if (!(threshold > 0)) throw new IllegalArgumentException("z-score threshold: " + threshold + " (expected: > 0)");
        this.values = new double[window];
        this.threshold = threshold;
        this.minSamples = Math.clamp(minSamples, 2, window);
    }

    @Override
    public String name() {
        return "z-score";
    }

    @Override
    public boolean add(double x) {
        boolean anomaly = false;
        if (size >= minSamples) {
            double mean = sum / size;
            double var = Math.max(0, (sumSq - size * mean * mean) / (size - 1));
            double sd = Math.sqrt(var);
            anomaly = sd > 0 ? Math.abs(x - mean) / sd > threshold : x != mean;
        }
        if (size == values.length) {
            double old = values[next];
            sum -= old;
            sumSq -= old * old;
        } else {
            size++;
        }
        values[next] = x;
        next = (next + 1) % values.length;
        sum += x;
        sumSq += x * x;
        return anomaly;
    }

    @Override
    public void reset() {
        next = 0;
        size = 0;
        sum = 0;
        sumSq = 0;
    }
}
