package dev.arbiter.decide;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The context-free policies: weighted random, epsilon-greedy, UCB1, and Thompson sampling with Beta and Gaussian
 * posteriors. Each keeps {@link ArmCounts}; every arm is tried once before any estimate is trusted (the "always a
 * fallback" of a cold start), and exploration is bounded: epsilon is at most 0.5, the UCB bonus is scaled by a
 * configurable factor.
 *
 * <p>References: Auer, Cesa-Bianchi and Fischer, "Finite-time Analysis of the Multiarmed Bandit Problem" (2002) for
 * UCB1 and epsilon-greedy; Agrawal and Goyal, "Analysis of Thompson Sampling for the Multi-armed Bandit Problem"
 * (2012) for Beta-Bernoulli Thompson sampling with fractional rewards (a reward r counts as r successes).
 */
final class Bandits {
    private Bandits() {
    }

    private abstract static class Counting implements Policy {
        final ArmCounts counts;
        final RandomGenerator random;

        Counting(int arms, RandomGenerator random) {
            this.counts = new ArmCounts(arms);
            this.random = random;
        }

        @Override
        public int arms() {
            return counts.arms();
        }

        @Override
        public synchronized void update(int arm, double[] context, double reward) {
            counts.add(arm, reward);
        }

        @Override
        public synchronized List<ArmStats> stats() {
            return counts.stats();
        }

        @Override
        public synchronized double[] save() {
            return counts.save();
        }

        @Override
        public synchronized void load(double[] state) {
            counts.load(state);
        }
    }

    /** Chooses at random in proportion to fixed weights; learns nothing (the static split, and a baseline). */
    static final class Weighted extends Counting {
        private final double[] cumulative;

        Weighted(double[] weights, RandomGenerator random) {
            super(weights.length, random);
            cumulative = new double[weights.length];
            double total = 0;
            for (int i = 0; i < weights.length; i++) {
                if (!(weights[i] >= 0)) throw new IllegalArgumentException("weight: " + weights[i] + " (expected: >= 0)");
                total += weights[i];
                cumulative[i] = total;
            }
            if (total <= 0) throw new IllegalArgumentException("weights: all zero (expected: at least one > 0)");
            for (int i = 0; i < weights.length; i++) cumulative[i] /= total;
        }

        @Override
        public String name() {
            return "weighted";
        }

        @Override
        public int choose(double[] context, boolean[] allowed) {
            double total = 0;
            for (int i = 0; i < cumulative.length; i++) if (allowed[i]) total += weight(i);
            if (total <= 0) return ArmCounts.anyAllowed(random, allowed);
            double u = random.nextDouble() * total;
            int last = -1;
            for (int i = 0; i < cumulative.length; i++) {
                if (!allowed[i]) continue;
                last = i;
                u -= weight(i);
                if (u < 0) return i;
            }
            return last;
        }

        private double weight(int i) {
            return cumulative[i] - (i == 0 ? 0 : cumulative[i - 1]);
        }
    }

    /** The best mean so far, or with probability epsilon an arm at random. */
    static final class EpsilonGreedy extends Counting {
        private final double epsilon;

        EpsilonGreedy(int arms, double epsilon, RandomGenerator random) {
            super(arms, random);
            if (!(epsilon >= 0 && epsilon <= 0.5)) throw new IllegalArgumentException("epsilon: " + epsilon + " (expected: 0..0.5)");
            this.epsilon = epsilon;
        }

        @Override
        public String name() {
            return "epsilon-greedy";
        }

        @Override
        public synchronized int choose(double[] context, boolean[] allowed) {
            int untried = counts.untried(allowed);
            if (untried >= 0) return untried;
            if (random.nextDouble() < epsilon) return ArmCounts.anyAllowed(random, allowed);
            double[] means = new double[counts.arms()];
            for (int a = 0; a < means.length; a++) means[a] = counts.mean(a);
            return ArmCounts.argmax(means, allowed);
        }
    }

    /** UCB1: the mean plus {@code c * sqrt(2 ln t / n)}. */
    static final class Ucb1 extends Counting {
        private final double c;

        Ucb1(int arms, double c, RandomGenerator random) {
            super(arms, random);
            if (!(c >= 0 && c <= 4)) throw new IllegalArgumentException("exploration: " + c + " (expected: 0..4)");
            this.c = c;
        }

        @Override
        public String name() {
            return "ucb1";
        }

        @Override
        public synchronized int choose(double[] context, boolean[] allowed) {
            int untried = counts.untried(allowed);
            if (untried >= 0) return untried;
            double logT = Math.log(counts.total());
            double[] bound = new double[counts.arms()];
            for (int a = 0; a < bound.length; a++) bound[a] = counts.mean(a) + c * Math.sqrt(2 * logT / counts.pulls[a]);
            return ArmCounts.argmax(bound, allowed);
        }
    }

    /** Thompson sampling with a Beta(1 + successes, 1 + failures) posterior per arm. */
    static final class ThompsonBeta extends Counting {
        ThompsonBeta(int arms, RandomGenerator random) {
            super(arms, random);
        }

        @Override
        public String name() {
            return "thompson";
        }

        @Override
        public synchronized int choose(double[] context, boolean[] allowed) {
            double[] draw = new double[counts.arms()];
            for (int a = 0; a < draw.length; a++) {
                draw[a] = Sampling.beta(random, 1 + counts.sum[a], 1 + counts.pulls[a] - counts.sum[a]);
            }
            return ArmCounts.argmax(draw, allowed);
        }
    }

    /**
     * Thompson sampling with a Gaussian posterior per arm: mean ~ N(sample mean, s^2 / (n + 1)), s the sample
     * standard deviation floored at {@code minSd} (so two equal early rewards do not freeze an arm).
     */
    static final class ThompsonGaussian extends Counting {
        private static final double MIN_SD = 0.05;

        ThompsonGaussian(int arms, RandomGenerator random) {
            super(arms, random);
        }

        @Override
        public String name() {
            return "thompson-gaussian";
        }

        @Override
        public synchronized int choose(double[] context, boolean[] allowed) {
            int untried = counts.untried(allowed);
            if (untried >= 0) return untried;
            double[] draw = new double[counts.arms()];
            for (int a = 0; a < draw.length; a++) {
                double n = counts.pulls[a];
                double mean = counts.mean(a);
                double var = Math.max(MIN_SD * MIN_SD, counts.sumSq[a] / n - mean * mean + 0.25 / n);
                draw[a] = mean + random.nextGaussian() * Math.sqrt(var / (n + 1));
            }
            return ArmCounts.argmax(draw, allowed);
        }
    }
}
