package dev.arbiter.analyze;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Page-Hinkley on normal streams (sigma 1) whose mean steps up by 2 after 1,000 values: the statistic grows by about
 * {@code s - delta} per value after the change, so with delta 0.1 and lambda 50 the delay is near 50 / 1.9 = 26 values
 * (a little more, as the running mean takes in the new values); while stationary the statistic drifts down by delta per
 * value and an excursion of 50 is rare.
 */
class PageHinkleyTest {
    @Test
    void add_stepOfTwoSigma_detectedNearLambdaOverShift() {
        long[] delays = new long[100];
        int falseAlarms = 0;
        for (int seed = 0; seed < delays.length; seed++) {
            var run = Streams.run(() -> new PageHinkley(0.1, 50, 30), 3000, 1000, Streams.step(0, 2, 1000), Streams.normal(1), seed);
            delays[seed] = run.delay();
            falseAlarms += run.falseAlarms();
        }
        assertThat(falseAlarms).isZero();
        assertThat(Arrays.stream(delays).boxed().toList()).as("delays").allSatisfy(d -> assertThat(d).isBetween(10L, 80L));
        assertThat(Arrays.stream(delays).average().orElseThrow()).isBetween(22.0, 40.0);
    }

    @Test
    void add_rampOfTwoSigmaOver500Values_detectedDuringTheRamp() {
        for (int seed = 0; seed < 50; seed++) {
            var run = Streams.run(() -> new PageHinkley(0.1, 50, 30), 3000, 1000, Streams.ramp(0, 2, 1000, 500), Streams.normal(1), seed);
            assertThat(run.falseAlarms()).isZero();
            assertThat(run.delay()).isBetween(20L, 500L);
        }
    }

    @Test
    void add_decreaseOfTheMean_notSignalled() {
        var run = Streams.run(() -> new PageHinkley(0.1, 50, 30), 5000, 1000, Streams.step(2, 0, 1000), Streams.normal(1), 9);
        assertThat(run.delay()).isEqualTo(-1);
        assertThat(run.falseAlarms()).isZero();
    }
}
