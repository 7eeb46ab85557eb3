package dev.arbiter.analyze;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * CUSUM with the textbook design k = 0.5, h = 5 against its published average run lengths (Montgomery, Table 9.3,
 * two-sided: 465 in control, 10.4 for a shift of one sigma). This CUSUM is the upper side alone, so in control it
 * alarms half as often: about 930 values between false alarms (1/465 = 1/ARL+ + 1/ARL-, Siegmund's approximation
 * gives 938); a shift of one sigma upwards is found as fast, in about 10.4 values. The reference is
 * learnt from 2,000 warm-up values, so the measured lengths scatter a little around the table's.
 */
class CusumTest {
    private static final int WARMUP = 2000;

    @Test
    void add_inControl_averageRunLengthNear930() {
        var r = new SplittableRandom(42);
        long total = 0;
        int runs = 200;
        for (int i = 0; i < runs; i++) {
            var c = new Cusum(WARMUP, 0.5, 5);
            for (int t = 0; t < WARMUP; t++) c.add(Streams.gaussian(r));
            long n = 1;
            while (!c.add(Streams.gaussian(r))) n++;
            total += n;
        }
        assertThat(total / (double) runs).as("ARL0").isBetween(780.0, 1150.0);
    }

    @Test
    void add_shiftOfOneSigma_averageDelayNear10() {
        var r = new SplittableRandom(43);
        long total = 0;
        int runs = 500;
        for (int i = 0; i < runs; i++) {
            var c = new Cusum(WARMUP, 0.5, 5);
            for (int t = 0; t < WARMUP; t++) c.add(10 + 2 * Streams.gaussian(r));
            long n = 1;
            while (!c.add(12 + 2 * Streams.gaussian(r))) n++;
            total += n;
        }
        assertThat(total / (double) runs).as("ARL1").isBetween(8.5, 12.5);
    }

    @Test
    void add_constantReference_anyRiseSignals() {
        var c = new Cusum(10, 0.5, 5);
        for (int t = 0; t < 100; t++) assertThat(c.add(1.0)).isFalse();
        assertThat(c.add(1.5)).isTrue();
    }
}
