package dev.arbiter.decide;

import java.util.List;

/**
 * A learning policy over a fixed list of arms (candidate models): it chooses an arm for a context, and later learns
 * the reward that choice earned. Rewards are in [0, 1] (see {@link Reward}); contexts are the feature vectors of
 * {@link Features}, of the dimension the policy was made with (context-free policies ignore them).
 *
 * <p>Implementations are pure: randomness comes from an injected generator, there is no clock and no I/O, and every
 * method is safe to call from many threads (each implementation guards its state with its own monitor: a decision is
 * a few microseconds of arithmetic, so a lock is cheaper than copying state). Their whole state is a vector of
 * doubles ({@link #save()}, {@link #load(double[])}) so it can be persisted and restored.
 */
public interface Policy {
    /** The policy's kind as configured ({@code ucb1}, {@code linucb}, ...). */
    String name();

    int arms();

    /** The arm to use for this context, in [0, arms). */
    default int choose(double[] context) {
        boolean[] all = new boolean[arms()];
        java.util.Arrays.fill(all, true);
        return choose(context, all);
    }

    /**
     * The arm to use for this context among the {@code allowed} ones (those that meet the route's constraints and are
     * not dominated); at least one must be allowed. Exploration never leaves the allowed set.
     */
    int choose(double[] context, boolean[] allowed);

    /** Learns that {@code arm}, chosen for {@code context}, earned {@code reward} in [0, 1]. */
    void update(int arm, double[] context, double reward);

    /** Per arm: how often it was rewarded and its mean reward. */
    List<ArmStats> stats();

    /** The policy's whole learned state. */
    double[] save();

    /** Restores a state {@link #save()} returned for a policy of the same kind and shape; a wrong length is refused. */
    void load(double[] state);

    /** One arm's statistics. */
    record ArmStats(int arm, long pulls, double meanReward) {
    }
}
