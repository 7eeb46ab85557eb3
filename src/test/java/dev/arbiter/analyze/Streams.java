package dev.arbiter.analyze;

import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Supplier;

/** Synthetic streams with a known change point, from seeded randoms, and the measures a detector is judged by. */
final class Streams {
    private Streams() {
    }

    /** What a detector did on one stream: the first signal at or after the change (-1: none), and signals before it. */
    record Run(long delay, int falseAlarms) {}

    /**
     * Feeds {@code length} values to a new detector: value {@code t} is {@code sample(mean(t))}; {@code changeAt} is the
     * change point (signals before it are false alarms; the delay counts from it).
     */
    static Run run(Supplier<Detector> detector, int length, int changeAt, DoubleUnaryOperator meanAt, Sampler sampler, long seed) {
        var d = detector.get();
        var random = new SplittableRandom(seed);
        int falseAlarms = 0;
        for (int t = 0; t < length; t++) {
            boolean signal = d.add(sampler.sample(random, meanAt.applyAsDouble(t)));
            if (signal && t < changeAt) falseAlarms++;
            if (signal && t >= changeAt) return new Run(t - changeAt, falseAlarms);
        }
        return new Run(-1, falseAlarms);
    }

    /** One value of mean {@code mean}. */
    @FunctionalInterface
    interface Sampler {
        double sample(SplittableRandom random, double mean);
    }

    static final Sampler BERNOULLI = (r, mean) -> r.nextDouble() < mean ? 1 : 0;

    static Sampler normal(double sigma) {
        return (r, mean) -> mean + sigma * gaussian(r);
    }

    static double gaussian(SplittableRandom r) {
        // Box-Muller: SplittableRandom has no nextGaussian of its own before Java 17's RandomGenerator default
        double u1 = r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** Bifet and Gavaldà's step: mean {@code from} until {@code at}, then {@code to}. */
    static DoubleUnaryOperator step(double from, double to, int at) {
        return t -> t < at ? from : to;
    }

    /** Their ramp: mean {@code from} until {@code at}, then rising linearly to {@code to} over {@code length} values. */
    static DoubleUnaryOperator ramp(double from, double to, int at, int length) {
        return t -> t < at ? from : t >= at + length ? to : from + (to - from) * (t - at) / length;
    }
}
