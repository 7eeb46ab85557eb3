package dev.arbiter.analyze;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The z-score and IQR detectors against the normal distribution's tail probabilities: beyond 3 sigma (two-sided)
 * 0.27%, beyond Tukey's fences with k = 1.5 0.70%; and a planted outlier of 8 sigma is always flagged.
 */
class AnomalyDetectorsTest {
    private static double flaggedShare(Supplier<Detector> detector, long seed) {
        var d = detector.get();
        var r = new SplittableRandom(seed);
        int flagged = 0;
        int n = 200_000;
        for (int t = 0; t < 1000; t++) d.add(Streams.gaussian(r));
        for (int t = 0; t < n; t++) if (d.add(Streams.gaussian(r))) flagged++;
        return flagged / (double) n;
    }

    @Test
    void zScore_threeSigmaOnNormal_flagsAbout0point27Percent() {
        assertThat(flaggedShare(() -> new ZScore(500, 3, 30), 1)).isBetween(0.0020, 0.0036);
    }

    @Test
    void iqr_tukeyFencesOnNormal_flagAbout0point7Percent() {
        assertThat(flaggedShare(() -> new Iqr(500, 1.5, 30), 2)).isBetween(0.0055, 0.0095);
    }

    @Test
    void iqr_kOf3OnNormal_nearlySilent() {
        assertThat(flaggedShare(() -> new Iqr(500, 3, 30), 3)).isLessThan(0.0003);
    }

    @Test
    void iqr_incrementalWindow_flagsExactlyWhatSortingTheWindowFlags() {
        // the window kept sorted value by value must give the fences of sorting the last `window` values afresh, with
        // repeated values (rounded draws), heavy tails and a window that wraps many times
        var rnd = new SplittableRandom(7);
        int window = 50;
        var iqr = new Iqr(window, 1.5, 10);
        var last = new java.util.ArrayDeque<Double>();
        for (int i = 0; i < 20_000; i++) {
            double x = i % 97 == 0 ? rnd.nextDouble() * 1e6 : Math.rint(rnd.nextGaussian() * 4) / 2;
            boolean expected = false;
            if (last.size() >= 10) {
                double[] w = last.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                double q1 = quantile(w, 0.25);
                double q3 = quantile(w, 0.75);
                expected = x > q3 + 1.5 * (q3 - q1) || x < q1 - 1.5 * (q3 - q1);
            }
            assertThat(iqr.add(x)).as("value %d (%s)", i, x).isEqualTo(expected);
            last.addLast(x);
            if (last.size() > window) last.removeFirst();
        }
    }

    private static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    @Test
    void plantedOutlier_flaggedByBoth() {
        for (Supplier<Detector> s : java.util.List.<Supplier<Detector>>of(() -> new ZScore(200, 4, 30), () -> new Iqr(200, 3, 30))) {
            var d = s.get();
            var r = new SplittableRandom(5);
            for (int t = 0; t < 500; t++) d.add(10 + Streams.gaussian(r));
            assertThat(d.add(18)).as(d.name()).isTrue();
            assertThat(d.add(10)).as(d.name()).isFalse();
        }
    }

    @Test
    void beforeMinSamples_nothingFlagged() {
        var z = new ZScore(100, 3, 30);
        var i = new Iqr(100, 1.5, 30);
        for (int t = 0; t < 29; t++) {
            assertThat(z.add(t % 2 == 0 ? 0 : 1000)).isFalse();
            assertThat(i.add(t % 2 == 0 ? 0 : 1000)).isFalse();
        }
    }
}
