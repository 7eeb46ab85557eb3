package dev.arbiter.analyze;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * ADWIN on Bifet and Gavaldà's synthetic streams (SDM 2007, §3.3): Bernoulli values whose mean steps or ramps from 0.2
 * to 0.8 after 1,000 values, 100 seeded runs each. The paper's guarantees: at most delta false positives per test on a
 * stationary stream; a change of the mean by eps found once the newer sub-window is long enough for the bound
 * (tens of values for a step of 0.6). The window shrinks to the new distribution after the change.
 */
class AdwinTest {
    private static final int RUNS = 100;

    private static long[] delays(java.util.function.DoubleUnaryOperator mean, int length) {
        long[] delays = new long[RUNS];
        int falseAlarms = 0;
        for (int seed = 0; seed < RUNS; seed++) {
            var run = Streams.run(Adwin::new, length, 1000, mean, Streams.BERNOULLI, seed);
            delays[seed] = run.delay();
            falseAlarms += run.falseAlarms();
        }
        assertThat(falseAlarms).as("false alarms in %d x 1000 stationary values", RUNS).isZero();
        return delays;
    }

    @Test
    void add_stepFromPoint2ToPoint8_detectedWithinTensOfValues() {
        long[] delays = delays(Streams.step(0.2, 0.8, 1000), 3000);
        assertThat(Arrays.stream(delays).boxed().toList()).as("delays").allSatisfy(d -> assertThat(d).isBetween(0L, 120L));
        double mean = Arrays.stream(delays).average().orElseThrow();
        assertThat(mean).as("mean delay").isBetween(5.0, 60.0);
    }

    @Test
    void add_rampOverThousandValues_detectedDuringTheRamp() {
        long[] delays = delays(Streams.ramp(0.2, 0.8, 1000, 1000), 4000);
        assertThat(Arrays.stream(delays).boxed().toList()).as("delays").allSatisfy(d -> assertThat(d).isBetween(0L, 1000L));
        double mean = Arrays.stream(delays).average().orElseThrow();
        assertThat(mean).as("mean delay").isBetween(100.0, 700.0);
    }

    @Test
    void add_stationaryStreams_quiet() {
        int alarms = 0;
        for (int seed = 0; seed < 20; seed++) {
            var a = new Adwin();
            var r = new SplittableRandom(1000 + seed);
            for (int t = 0; t < 20_000; t++) if (a.add(Streams.BERNOULLI.sample(r, 0.2))) alarms++;
            var g = new Adwin();
            for (int t = 0; t < 20_000; t++) if (g.add(Streams.normal(0.05).sample(r, 0.3))) alarms++;
        }
        assertThat(alarms).as("false alarms in 800,000 stationary values").isLessThanOrEqualTo(2);
    }

    @Test
    void mean_afterStep_isTheNewMean() {
        var a = new Adwin();
        var r = new SplittableRandom(7);
        for (int t = 0; t < 2000; t++) a.add(Streams.BERNOULLI.sample(r, 0.2));
        assertThat(a.width()).isEqualTo(2000);
        for (int t = 0; t < 1000; t++) a.add(Streams.BERNOULLI.sample(r, 0.8));
        assertThat(a.mean()).isCloseTo(0.8, org.assertj.core.data.Offset.offset(0.06));
        assertThat(a.width()).isLessThan(1500);
    }
}
