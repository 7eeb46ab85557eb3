package dev.arbiter.decide;

import java.util.List;

/**
 * A nonparametric contextual policy: each arm's reward for a context is estimated from the rewards it earned on the
 * most similar past contexts, weighted by a Gaussian kernel on their distance, and the arm with the highest upper
 * bound is chosen. It is the online, bandit-feedback form of RouteLLM's similarity-weighted ranking (Ong et al.,
 * "RouteLLM: Learning to Route LLMs with Preference Data", 2024, section 4.2) and of kernel UCB with a finite memory.
 *
 * <p>Estimate for arm {@code a}: {@code (sum w_i r_i + m mean_a) / (sum w_i + m)} over the remembered choices of
 * {@code a}, with {@code w_i = exp(-|x - x_i|^2 / h^2)}, the arm's overall mean as a prior of weight {@code m = 1},
 * and bonus {@code alpha sqrt(ln(2 + W) / (sum w_i + m))}, W the kernel weight of all arms near the context: UCB1's
 * bonus with kernel-weighted counts (Valko et al., "Finite-Time Analysis of Kernelised Contextual Bandits", 2013), so
 * an arm unlucky early near a context is tried again as evidence there grows. The
 * bandwidth {@code h^2} is {@link #BANDWIDTH} times the mean squared distance between the context and the memory, so
 * it suits any feature scale without tuning; it reads contexts only, never outcomes.
 *
 * <p>The memory is a ring of the last {@code capacity} choices: old ones are forgotten (so the policy follows drift),
 * and a decision is O(capacity x dimension), tens of microseconds for 2,048 x 24 (see the README's latency table).
 */
final class Knn implements Policy {
    static final double BANDWIDTH = 0.3;
    static final int DEFAULT_CAPACITY = 2048;

    private final int dim;
    private final int capacity;
    private final double alpha;
    private final double bandwidth;
    private final double[] xs;
    private final int[] arm;
    private final double[] reward;
    private final ArmCounts counts;
    /** Sums over the memory of the contexts and of their squared norms, for the mean squared distance in one pass. */
    private final double[] sumX;
    private double sumSquares;
    private int size;
    private int next;

    /** @param alpha the bonus width (0..4) */
    Knn(int arms, int dim, int capacity, double alpha) {
        this(arms, dim, capacity, alpha, BANDWIDTH);
    }

    Knn(int arms, int dim, int capacity, double alpha, double bandwidth) {
        if (dim < 1) throw new IllegalArgumentException("dimension: " + dim + " (expected: at least 1)");
        if (capacity < 1) throw new IllegalArgumentException("capacity: " + capacity + " (expected: at least 1)");
        if (!(alpha >= 0 && alpha <= 4)) throw new IllegalArgumentException("exploration: " + alpha + " (expected: 0..4)");
        this.dim = dim;
        this.capacity = capacity;
        this.alpha = alpha;
        this.bandwidth = bandwidth;
        this.xs = new double[capacity * dim];
        this.arm = new int[capacity];
        this.reward = new double[capacity];
        this.counts = new ArmCounts(arms);
        this.sumX = new double[dim];
    }

    @Override
    public String name() {
        return "knn";
    }

    @Override
    public int arms() {
        return counts.arms();
    }

    @Override
    public synchronized int choose(double[] x, boolean[] allowed) {
        check(x);
        int untried = counts.untried(allowed);
        if (untried >= 0) return untried;
        // mean |x - x_i|^2 = |x|^2 - 2 x . mean(x_i) + mean(|x_i|^2)
        double xx = 0;
        double xm = 0;
        for (int j = 0; j < dim; j++) {
            xx += x[j] * x[j];
            xm += x[j] * sumX[j];
        }
        double mean = size == 0 ? 0 : xx - 2 * xm / size + sumSquares / size;
        double inverse = 1 / Math.max(1e-12, bandwidth * mean);
        int k = counts.arms();
        double[] w = new double[k];
        double[] wr = new double[k];
        for (int i = 0; i < size; i++) {
            double d2 = 0;
            for (int j = 0, o = i * dim; j < dim; j++) {
                double t = x[j] - xs[o + j];
                d2 += t * t;
            }
            double v = Math.exp(-d2 * inverse);
            w[arm[i]] += v;
            wr[arm[i]] += v * reward[i];
        }
        double total = 0;
        for (double v : w) total += v;
        double[] score = new double[k];
        for (int a = 0; a < k; a++) {
            double n = w[a] + 1;
            score[a] = (wr[a] + counts.mean(a)) / n + alpha * Math.sqrt(Math.log(2 + total) / n);
        }
        return ArmCounts.argmax(score, allowed);
    }

    @Override
    public synchronized void update(int a, double[] x, double r) {
        check(x);
        double clamped = Reward.clamp(r);
        counts.add(a, clamped);
        if (size == capacity) account(next, -1);
        System.arraycopy(x, 0, xs, next * dim, dim);
        account(next, 1);
        arm[next] = a;
        reward[next] = clamped;
        next = (next + 1) % capacity;
        size = Math.min(size + 1, capacity);
    }

    /** Adds ({@code sign} 1) or removes (-1) remembered context {@code i} from the sums. */
    private void account(int i, int sign) {
        for (int j = 0, o = i * dim; j < dim; j++) {
            sumX[j] += sign * xs[o + j];
            sumSquares += sign * xs[o + j] * xs[o + j];
        }
    }

    private void check(double[] x) {
        if (x.length != dim) throw new IllegalArgumentException("context: " + x.length + " features (expected: " + dim + ")");
    }

    @Override
    public synchronized List<ArmStats> stats() {
        return counts.stats();
    }

    /** Counts, then size and next, then per remembered choice: arm, reward, context. */
    @Override
    public synchronized double[] save() {
        double[] c = counts.save();
        double[] s = new double[c.length + 2 + size * (dim + 2)];
        System.arraycopy(c, 0, s, 0, c.length);
        int at = c.length;
        s[at++] = size;
        s[at++] = next;
        for (int i = 0; i < size; i++) {
            s[at++] = arm[i];
            s[at++] = reward[i];
            System.arraycopy(xs, i * dim, s, at, dim);
            at += dim;
        }
        return s;
    }

    @Override
    public synchronized void load(double[] s) {
        int k = counts.arms();
        int n = s.length > 3 * k ? (int) s[3 * k] : -1;
        if (n < 0 || n > capacity || s.length != 3 * k + 2 + n * (dim + 2) || s[3 * k + 1] < 0 || s[3 * k + 1] >= capacity) {
            throw new IllegalArgumentException("state: " + s.length + " values (expected: " + (3 * k + 2)
                    + " + remembered choices x " + (dim + 2) + ", at most " + capacity + ")");
        }
        for (int i = 0; i < n; i++) {
            double a = s[3 * k + 2 + i * (dim + 2)];
            if (!(a >= 0 && a < k && a == Math.rint(a))) throw new IllegalArgumentException("state: arm " + (int) a + " (expected: 0.." + (k - 1) + ")");
        }
        counts.load(java.util.Arrays.copyOf(s, 3 * k));
        size = n;
        next = (int) s[3 * k + 1];
        int at = 3 * k + 2;
        for (int i = 0; i < n; i++) {
            arm[i] = (int) s[at++];
            reward[i] = s[at++];
            System.arraycopy(s, at, xs, i * dim, dim);
            at += dim;
        }
        java.util.Arrays.fill(sumX, 0);
        sumSquares = 0;
        for (int i = 0; i < n; i++) account(i, 1);
    }
}
