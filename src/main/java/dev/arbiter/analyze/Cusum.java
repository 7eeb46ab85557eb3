package dev.arbiter.analyze;

/**
 * The upper one-sided tabular CUSUM (Page 1954; Montgomery, "Introduction to Statistical Quality Control", 6th ed.,
 * §9.1): the in-control mean {@code mu} and deviation {@code sigma} are learnt from the first {@code warmup} values,
 * then {@code S_t = max(0, S_{t-1} + (x_t - mu) / sigma - k)} and a change is signalled when {@code S_t > h}. With
 * {@code k = 0.5, h = 5} (the textbook design, tuned to a shift of one sigma) the average run length after an
 * upward shift of one sigma is about 10.4 values, and in control about 930 (Montgomery's Table 9.3 gives 465 for the
 * two-sided scheme, which alarms on either side). After it signals the test
 * learns its reference anew.
 */
public final class Cusum implements Detector {
    private final int warmup;
    private final double k;
    private final double h;
    private long n;
    private double mean;
    private double m2;
    private double sigma;
    private double s;

    public Cusum(int warmup, double k, double h) {
        if (warmup < 2) throw new IllegalArgumentException("cusum warmup: " + warmup + " (expected: >= 2)");
        if (!(k >= 0) || !(h > 0)) throw new IllegalArgumentException("cusum k, h: " + k + ", " + h + " (expected: k >= 0, h > 0)");
        this.warmup = warmup;
        this.k = k;
        this.h = h;
    }

    @Override
    public String name() {
        return "cusum";
    }

    @Override
    public boolean add(double x) {
        if (n < warmup) {
            n++;
            double d = x - mean;
            mean += d / n;
            m2 += d * (x - mean);
            if (n == warmup) sigma = Math.sqrt(m2 / (n - 1));
            return false;
        }
        // a constant reference has no spread: any rise above it counts in units of 1e-9 of the mean
        double sd = sigma > 0 ? sigma : Math.max(Math.abs(mean) * 1e-9, 1e-12);
        s = Math.max(0, s + (x - mean) / sd - k);
        if (s > h) {
            reset();
            return true;
        }
        return false;
    }

    /** The statistic {@code S_t}. */
    public double statistic() {
        return s;
    }

    @Override
    public void reset() {
        n = 0;
        mean = 0;
        m2 = 0;
        sigma = 0;
        s = 0;
    }
}
