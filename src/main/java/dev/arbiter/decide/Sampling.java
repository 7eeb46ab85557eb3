package dev.arbiter.decide;

import java.util.random.RandomGenerator;

/**
 * Gamma and Beta variates, written here because the JDK has none and the Thompson policies need one per arm per
 * decision: a dependency (Commons Math) for twenty lines was not worth it. Marsaglia and Tsang, "A Simple Method
 * for Generating Gamma Variables" (2000), with the boost for shape < 1.
 */
final class Sampling {
    private Sampling() {
    }

    static double gamma(RandomGenerator random, double shape) {
        if (shape < 1) {
            return gamma(random, shape + 1) * Math.pow(random.nextDouble(), 1 / shape);
        }
        double d = shape - 1.0 / 3;
        double c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x = random.nextGaussian();
            double v = 1 + c * x;
            if (v <= 0) continue;
            v = v * v * v;
            double u = random.nextDouble();
            if (u < 1 - 0.0331 * x * x * x * x) return d * v;
            if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
        }
    }

    static double beta(RandomGenerator random, double a, double b) {
        double x = gamma(random, a);
        double y = gamma(random, b);
        return x / (x + y);
    }
}
