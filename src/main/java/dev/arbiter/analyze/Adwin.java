package dev.arbiter.analyze;

import java.util.ArrayList;
import java.util.List;

/**
 * ADWIN (ADaptive WINdowing), the ADWIN2 variant of Bifet and Gavaldà, "Learning from Time-Changing Data with
 * Adaptive Windowing" (SDM 2007), as implemented in MOA: a window of the most recent values, kept compressed as an
 * exponential histogram (rows of at most {@code M} buckets; the buckets of row {@code i} hold {@code 2^i} values, as
 * their total and variance). After each value the window is cut at every bucket border: when the means of the older
 * part {@code W0} and the newer part {@code W1} differ by more than
 * {@code eps = sqrt(2 m v ln(2 ln(n) / delta)) + 2/3 m ln(2 ln(n) / delta)}, where {@code m = 1/n0' + 1/n1'} and
 * {@code v} is the window's variance, the older part is dropped: a change. With confidence {@code delta} no change is
 * signalled while the mean is stationary (the paper's Theorem 3.1, false positive rate at most delta per test), and a
 * change of the mean by {@code eps} is found once both sides are long enough for the bound.
 *
 * <p>Memory and time per value are O(M log(W/M)) for a window of W values. {@link #mean()} is the window's mean (after
 * a change, the newer part's).
 */
public final class Adwin implements Detector {
    private static final int MIN_SUB_WINDOW = 5;

    private final double delta;
    private final int maxBuckets;
    private final int clock;
    /** rows.get(i): the totals and variances of row i's buckets, oldest first; each holds 2^i values. */
    private final List<Row> rows = new ArrayList<>();
    private long width;
    private double total;
    private double variance;
    private long time;

    private static final class Row {
        final double[] totals;
        final double[] variances;
        int size;

        Row(int capacity) {
            totals = new double[capacity];
            variances = new double[capacity];
        }

        void add(double t, double v) {
            totals[size] = t;
            variances[size] = v;
            size++;
        }

        void removeOldest(int n) {
            System.arraycopy(totals, n, totals, 0, size - n);
            System.arraycopy(variances, n, variances, 0, size - n);
            size -= n;
        }
    }

    /** delta 0.002, 5 buckets per row, a check at every value. */
    public Adwin() {
        this(0.002, 5, 1);
    }

    /**
     * @param delta      confidence: the false-positive bound of each check (MOA's default 0.002)
     * @param maxBuckets M, buckets per row before two merge (MOA: 5)
     * @param clock      check for a change every {@code clock} values (MOA: 32; 1 finds a change soonest)
     */
    public Adwin(double delta, int maxBuckets, int clock) {
        if (!(delta > 0 && delta < 1)) throw new IllegalArgumentException("adwin delta: " + delta + " (expected: (0, 1))");
        if (maxBuckets < 2) throw new IllegalArgumentException("adwin buckets: " + maxBuckets + " (expected: >= 2)");
        if (clock < 1) throw new IllegalArgumentException("adwin clock: " + clock + " (expected: >= 1)");
        this.delta = delta;
        this.maxBuckets = maxBuckets;
        this.clock = clock;
    }

    @Override
    public String name() {
        return "adwin";
    }

    @Override
    public boolean add(double x) {
        insert(x);
        return ++time % clock == 0 && detect();
    }

    /** Values in the window. */
    public long width() {
        return width;
    }

    /** The window's mean (NaN while empty). */
    public double mean() {
        return width == 0 ? Double.NaN : total / width;
    }

    @Override
    public void reset() {
        rows.clear();
        width = 0;
        total = 0;
        variance = 0;
        time = 0;
    }

    private Row row(int i) {
        while (rows.size() <= i) rows.add(new Row(maxBuckets + 1));
        return rows.get(i);
    }

    private void insert(double x) {
        width++;
        if (width > 1) variance += (width - 1) * (x - total / (width - 1)) * (x - total / (width - 1)) / width;
        total += x;
        row(0).add(x, 0);
        // compress: a row that overflows merges its two oldest buckets into one of the next row
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            if (r.size <= maxBuckets) break;
            double n = Math.pow(2, i);
            double u1 = r.totals[0] / n;
            double u2 = r.totals[1] / n;
            double inc = n * n * (u1 - u2) * (u1 - u2) / (2 * n);
            double t = r.totals[0] + r.totals[1];
            double v = r.variances[0] + r.variances[1] + inc;
            r.removeOldest(2);
            row(i + 1).add(t, v);
        }
    }

    private void removeOldestBucket() {
        int last = rows.size() - 1;
        Row r = rows.get(last);
        double n1 = Math.pow(2, last);
        double t = r.totals[0];
        double v = r.variances[0];
        width -= (long) n1;
        total -= t;
        double u1 = t / n1;
        variance -= v + n1 * width * (u1 - total / width) * (u1 - total / width) / (n1 + width);
        if (variance < 0) variance = 0;
        r.removeOldest(1);
        if (r.size == 0) rows.remove(last);
    }

    private boolean detect() {
        boolean change = false;
        boolean cut = true;
        while (cut && width > 2L * MIN_SUB_WINDOW) {
            cut = false;
            double n0 = 0;
            double n1 = width;
            double u0 = 0;
            double u1 = total;
            // walk the borders from the oldest bucket to the newest; cut the oldest bucket at a significant border
            outer:
            for (int i = rows.size() - 1; i >= 0; i--) {
                Row r = rows.get(i);
                double n = Math.pow(2, i);
                for (int k = 0; k < r.size; k++) {
                    if (i == 0 && k == r.size - 1) break outer;   // W1 keeps at least the newest bucket
                    n0 += n;
                    n1 -= n;
                    u0 += r.totals[k];
                    u1 -= r.totals[k];
                    if (n0 > MIN_SUB_WINDOW && n1 > MIN_SUB_WINDOW && significant(n0, n1, u0 / n0 - u1 / n1)) {
                        cut = true;
                        change = true;
                        removeOldestBucket();
                        break outer;
                    }
                }
            }
        }
        return change;
    }

    private boolean significant(double n0, double n1, double diff) {
        double dd = Math.log(2 * Math.log(width) / delta);
        double v = variance / width;
        double m = 1 / (n0 - MIN_SUB_WINDOW + 1) + 1 / (n1 - MIN_SUB_WINDOW + 1);
        double eps = Math.sqrt(2 * m * v * dd) + 2.0 / 3.0 * dd * m;
        return Math.abs(diff) > eps;
    }
}
