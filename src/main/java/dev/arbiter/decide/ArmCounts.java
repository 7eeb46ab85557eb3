package dev.arbiter.decide;

import java.util.ArrayList;
import java.util.List;

/** Pulls and summed rewards (and squared rewards) per arm: the state of the context-free policies. */
final class ArmCounts {
    final double[] pulls;
    final double[] sum;
    final double[] sumSq;

    ArmCounts(int arms) {
        if (arms < 1) throw new IllegalArgumentException("arms: " + arms + " (expected: at least 1)");
        pulls = new double[arms];
        sum = new double[arms];
        sumSq = new double[arms];
    }

    int arms() {
        return pulls.length;
    }

    void add(int arm, double reward) {
        double r = Reward.clamp(reward);
        pulls[arm]++;
        sum[arm] += r;
        sumSq[arm] += r * r;
    }

    double mean(int arm) {
        return pulls[arm] == 0 ? 0 : sum[arm] / pulls[arm];
    }

    double total() {
        double t = 0;
        for (double p : pulls) t += p;
        return t;
    }

    /** The first allowed arm never pulled, or -1. */
    int untried(boolean[] allowed) {
        for (int a = 0; a < pulls.length; a++) if (allowed[a] && pulls[a] == 0) return a;
        return -1;
    }

    List<Policy.ArmStats> stats() {
        var out = new ArrayList<Policy.ArmStats>();
        for (int a = 0; a < pulls.length; a++) out.add(new Policy.ArmStats(a, (long) pulls[a], mean(a)));
        return out;
    }

    double[] save() {
        double[] s = new double[3 * pulls.length];
        System.arraycopy(pulls, 0, s, 0, pulls.length);
        System.arraycopy(sum, 0, s, pulls.length, pulls.length);
        System.arraycopy(sumSq, 0, s, 2 * pulls.length, pulls.length);
        return s;
    }

    void load(double[] s) {
        int k = pulls.length;
        if (s.length != 3 * k) throw new IllegalArgumentException("state: " + s.length + " values (expected: " + 3 * k + ")");
        System.arraycopy(s, 0, pulls, 0, k);
        System.arraycopy(s, k, sum, 0, k);
        System.arraycopy(s, 2 * k, sumSq, 0, k);
    }

    /** The allowed index of the largest value (the first of equals). */
    static int argmax(double[] v, boolean[] allowed) {
        int best = -1;
        for (int i = 0; i < v.length; i++) if (allowed[i] && (best < 0 || v[i] > v[best])) best = i;
        if (best < 0) throw new IllegalArgumentException("no arm allowed");
        return best;
    }

    /** An allowed arm uniformly at random. */
    static int anyAllowed(java.util.random.RandomGenerator random, boolean[] allowed) {
        int n = 0;
        for (boolean b : allowed) if (b) n++;
        if (n == 0) throw new IllegalArgumentException("no arm allowed");
        int k = random.nextInt(n);
        for (int i = 0; i < allowed.length; i++) if (allowed[i] && k-- == 0) return i;
        throw new AssertionError();
    }
}
