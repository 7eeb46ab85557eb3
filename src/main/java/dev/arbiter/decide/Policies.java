package dev.arbiter.decide;

import java.util.List;
import java.util.random.RandomGenerator;

/** Makes a {@link Policy} by its configured name. */
public final class Policies {
    /** The names a route's {@code policy:} accepts. */
    public static final List<String> NAMES = List.of("weighted", "epsilon-greedy", "ucb1", "thompson", "thompson-gaussian",
            "linucb", "contextual-thompson", "knn");

    /** The policies that learn over a request's features. */
    public static final List<String> CONTEXTUAL = List.of("linucb", "contextual-thompson", "knn");

    private Policies() {
    }

    /**
     * @param exploration epsilon for epsilon-greedy (0..0.5), the bonus or posterior width for the others (0..4);
     *                    NaN for each policy's default
     * @param dim the context dimension of the contextual policies
     */
    public static Policy create(String name, int arms, int dim, double exploration, RandomGenerator random) {
        return switch (name) {
            case "weighted" -> {
                double[] w = new double[arms];
                java.util.Arrays.fill(w, 1);
                yield new Bandits.Weighted(w, random);
            }
            case "epsilon-greedy" -> new Bandits.EpsilonGreedy(arms, or(exploration, 0.1), random);
            case "ucb1" -> new Bandits.Ucb1(arms, or(exploration, 1), random);
            case "thompson" -> new Bandits.ThompsonBeta(arms, random);
            case "thompson-gaussian" -> new Bandits.ThompsonGaussian(arms, random);
            case "linucb" -> new Linear(Linear.Kind.UCB, arms, dim, or(exploration, 1), random);
            case "contextual-thompson" -> new Linear(Linear.Kind.THOMPSON, arms, dim, or(exploration, 0.5), random);
            case "knn" -> new Knn(arms, dim, Knn.DEFAULT_CAPACITY, or(exploration, 0.5));
            default -> throw new IllegalArgumentException("policy: " + name + " (expected: " + String.join(" | ", NAMES) + ")");
        };
    }

    /** A weighted policy with the given weights (the static split of a route). */
    public static Policy weighted(double[] weights, RandomGenerator random) {
        return new Bandits.Weighted(weights, random);
    }

    public static boolean contextual(String name) {
        return CONTEXTUAL.contains(name);
    }

    private static double or(double v, double dflt) {
        return Double.isNaN(v) ? dflt : v;
    }
}
