package dev.arbiter.analyze;

/**
 * The Page-Hinkley test for an increase of the mean (Page, "Continuous inspection schemes", Biometrika 1954; in the
 * form of Gama et al., "A survey on concept drift adaptation", 2014): with {@code x̄_t} the running mean,
 * {@code m_t = Σ (x_i - x̄_i - delta)} and {@code M_t = min m_i}, a change is signalled when
 * {@code m_t - M_t > lambda}. {@code delta} is the size of change tolerated; {@code lambda} trades detection delay
 * against false alarms. After a step of the mean by {@code s > delta} the statistic grows by about {@code s - delta}
 * per value, so the delay is near {@code lambda / (s - delta)} values. The test resets itself after it signals.
 */
public final class PageHinkley implements Detector {
    private final double delta;
    private final double lambda;
    private final int minSamples;
    private long n;
    private double mean;
    private double sum;
    private double min;

    /**
     * @param delta      the magnitude of change tolerated, in the values' unit
     * @param lambda     the alarm threshold
     * @param minSamples values seen before it may signal
     */
    public PageHinkley(double delta, double lambda, int minSamples) {
        if (!(delta >= 0)) throw new IllegalArgumentException("page-hinkley delta: " + delta + " (expected: >= 0)");
        if (!(lambda > 0)) throw new IllegalArgumentException("page-hinkley lambda: " + lambda + " (expected: > 0)");
        this.delta = delta;
        this.lambda = lambda;
        this.minSamples = Math.max(1, minSamples);
    }

    @Override
    public String name() {
        return "page-hinkley";
    }

    @Override
    public boolean add(double x) {
        n++;
        mean += (x - mean) / n;
        sum += x - mean - delta;
        min = Math.min(min, sum);
        if (n >= minSamples && sum - min > lambda) {
            reset();
            return true;
        }
        return false;
    }

    /** The statistic {@code m_t - M_t}. */
    public double statistic() {
        return sum - min;
    }

    @Override
    public void reset() {
        n = 0;
        mean = 0;
        sum = 0;
        min = 0;
    }
}
