package dev.arbiter.decide;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The contextual policies: LinUCB (Li, Chu, Langford and Schapire, "A Contextual-Bandit Approach to Personalized
 * News Article Recommendation", 2010, disjoint models) and linear Thompson sampling (Agrawal and Goyal, "Thompson
 * Sampling for Contextual Bandits with Linear Payoffs", 2013). Each arm keeps a ridge regression of reward on the
 * context: {@code A = I + sum x x^T}, {@code b = sum r x}, {@code theta = A^-1 b}. {@code A^-1} is kept directly and
 * updated by Sherman-Morrison (O(d^2) per update, no inversion on the decision path); a decision is O(k d^2) for
 * LinUCB and adds a Cholesky factor of {@code A^-1} (O(k d^3)) for Thompson, microseconds for the d of
 * {@link Features}.
 */
final class Linear implements Policy {
    enum Kind { UCB, THOMPSON }

    private final Kind kind;
    private final int dim;
    private final double alpha;
    private final RandomGenerator random;
    private final double[][] ainv;   // per arm, d x d row-major
    private final double[][] b;
    private final ArmCounts counts;

    /** @param alpha the exploration width: the UCB bonus factor, or the posterior scale of Thompson sampling (0..4) */
    Linear(Kind kind, int arms, int dim, double alpha, RandomGenerator random) {
        if (dim < 1) throw new IllegalArgumentException("dimension: " + dim + " (expected: at least 1)");
        if (!(alpha >= 0 && alpha <= 4)) throw new IllegalArgumentException("exploration: " + alpha + " (expected: 0..4)");
        this.kind = kind;
        this.dim = dim;
        this.alpha = alpha;
        this.random = random;
        this.counts = new ArmCounts(arms);
        this.ainv = new double[arms][dim * dim];
        this.b = new double[arms][dim];
        for (double[] m : ainv) for (int i = 0; i < dim; i++) m[i * dim + i] = 1;
    }

    @Override
    public String name() {
        return kind == Kind.UCB ? "linucb" : "contextual-thompson";
    }

    @Override
    public int arms() {
        return counts.arms();
    }

    int dimension() {
        return dim;
    }

    @Override
    public synchronized int choose(double[] x, boolean[] allowed) {
        check(x);
        int untried = counts.untried(allowed);
        if (untried >= 0) return untried;
        double[] score = new double[counts.arms()];
        double[] ax = new double[dim];
        for (int a = 0; a < score.length; a++) {
            if (!allowed[a]) continue;
            double[] m = ainv[a];
            double mean = 0;
            for (int i = 0; i < dim; i++) {
                double s = 0;
                for (int j = 0; j < dim; j++) s += m[i * dim + j] * b[a][j];
                mean += s * x[i];
            }
            if (kind == Kind.UCB) {
                double var = 0;
                for (int i = 0; i < dim; i++) {
                    double s = 0;
                    for (int j = 0; j < dim; j++) s += m[i * dim + j] * x[j];
                    ax[i] = s;
                    var += s * x[i];
                }
                score[a] = mean + alpha * Math.sqrt(Math.max(0, var));
            } else {
                // x . theta~ with theta~ = theta + alpha L z, L L^T = A^-1: the same as mean + alpha * (L^T x) . z
                double[] l = cholesky(m);
                double noise = 0;
                for (int j = 0; j < dim; j++) {
                    double s = 0;
                    for (int i = j; i < dim; i++) s += l[i * dim + j] * x[i];
                    noise += s * random.nextGaussian();
                }
                score[a] = mean + alpha * noise;
            }
        }
        return ArmCounts.argmax(score, allowed);
    }

    @Override
    public synchronized void update(int arm, double[] x, double reward) {
        check(x);
        double r = Reward.clamp(reward);
        counts.add(arm, r);
        double[] m = ainv[arm];
        double[] ax = new double[dim];
        double denom = 1;
        for (int i = 0; i < dim; i++) {
            double s = 0;
            for (int j = 0; j < dim; j++) s += m[i * dim + j] * x[j];
            ax[i] = s;
            denom += s * x[i];
        }
        for (int i = 0; i < dim; i++) {
            for (int j = 0; j < dim; j++) m[i * dim + j] -= ax[i] * ax[j] / denom;
        }
        for (int i = 0; i < dim; i++) b[arm][i] += r * x[i];
    }

    /** The lower-triangular factor of a symmetric positive-definite matrix (diagonal floored against round-off). */
    private double[] cholesky(double[] m) {
        double[] l = new double[dim * dim];
        for (int i = 0; i < dim; i++) {
            for (int j = 0; j <= i; j++) {
                double s = m[i * dim + j];
                for (int k = 0; k < j; k++) s -= l[i * dim + k] * l[j * dim + k];
                if (i == j) l[i * dim + i] = Math.sqrt(Math.max(s, 1e-12));
                else l[i * dim + j] = s / l[j * dim + j];
            }
        }
        return l;
    }

    private void check(double[] x) {
        if (x.length != dim) throw new IllegalArgumentException("context: " + x.length + " features (expected: " + dim + ")");
    }

    @Override
    public synchronized List<ArmStats> stats() {
        return counts.stats();
    }

    @Override
    public synchronized double[] save() {
        int k = counts.arms();
        double[] c = counts.save();
        double[] s = new double[c.length + k * (dim * dim + dim)];
        System.arraycopy(c, 0, s, 0, c.length);
        int at = c.length;
        for (int a = 0; a < k; a++) {
            System.arraycopy(ainv[a], 0, s, at, dim * dim);
            at += dim * dim;
            System.arraycopy(b[a], 0, s, at, dim);
            at += dim;
        }
        return s;
    }

    @Override
    public synchronized void load(double[] s) {
        int k = counts.arms();
        if (s.length != 3 * k + k * (dim * dim + dim)) {
            throw new IllegalArgumentException("state: " + s.length + " values (expected: " + (3 * k + k * (dim * dim + dim)) + ")");
        }
        counts.load(java.util.Arrays.copyOf(s, 3 * k));
        int at = 3 * k;
        for (int a = 0; a < k; a++) {
            System.arraycopy(s, at, ainv[a], 0, dim * dim);
            at += dim * dim;
            System.arraycopy(s, at, b[a], 0, dim);
            at += dim;
        }
    }

    /** The current estimate of each arm's reward for {@code x} (for explanations and tests). */
    synchronized List<Double> estimates(double[] x) {
        var out = new ArrayList<Double>();
        for (int a = 0; a < counts.arms(); a++) {
            double mean = 0;
            for (int i = 0; i < dim; i++) {
                double s = 0;
                for (int j = 0; j < dim; j++) s += ainv[a][i * dim + j] * b[a][j];
                mean += s * x[i];
            }
            out.add(mean);
        }
        return out;
    }
}
