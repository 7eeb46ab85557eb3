package dev.arbiter.decide;

import java.util.SplittableRandom;

/**
 * A stationary simulator with known qualities: requests of {@code T} task types arrive uniformly at random; model
 * {@code a} answers a task of type {@code t} well with probability {@code quality[t][a]} (a Bernoulli reward). The
 * context a policy sees is the task type one-hot (plus a bias), so a contextual policy can learn the best model per
 * type while a context-free one can at best learn the best model overall. Regret is counted against the oracle that
 * knows the qualities: the sum over steps of {@code max_a quality[t][a] - quality[t][chosen]} (expected, not
 * sampled, regret: it does not depend on the luck of the draws).
 */
public final class Simulator {
    private final double[][] quality;

    public Simulator(double[][] quality) {
        if (quality.length == 0 || quality[0].length == 0) throw new IllegalArgumentException("quality: empty");
        this.quality = quality;
    }

    /**
     * Three task types, three models: each model is best at one type, and model 0 is best on average, so a
     * context-free policy converges on model 0 while the oracle switches per type.
     */
    public static Simulator threeTasks() {
        return new Simulator(new double[][] {
                {0.80, 0.60, 0.50},
                {0.70, 0.85, 0.40},
                {0.75, 0.40, 0.90}});
    }

    public int arms() {
        return quality[0].length;
    }

    public int tasks() {
        return quality.length;
    }

    /** The context of task type {@code t}: bias then one-hot. */
    public double[] context(int t) {
        double[] x = new double[tasks() + 1];
        x[0] = 1;
        x[t + 1] = 1;
        return x;
    }

    /** Runs {@code policy} for {@code steps} steps; returns the cumulative regret after each step. */
    public double[] run(Policy policy, int steps, long seed) {
        var random = new SplittableRandom(seed);
        double[] regret = new double[steps];
        double total = 0;
        for (int s = 0; s < steps; s++) {
            int t = random.nextInt(tasks());
            double[] x = context(t);
            int a = policy.choose(x);
            double best = 0;
            for (double q : quality[t]) best = Math.max(best, q);
            total += best - quality[t][a];
            regret[s] = total;
            policy.update(a, x, random.nextDouble() < quality[t][a] ? 1 : 0);
        }
        return regret;
    }
}
