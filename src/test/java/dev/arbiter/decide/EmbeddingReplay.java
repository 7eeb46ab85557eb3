package dev.arbiter.decide;

import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * An experiment, not a test: does a sentence embedding (all-MiniLM-L6-v2, in process) let a contextual policy route
 * GSM8K better than {@link Features}? Prints (1) the online replay of the contextual policies over the 8 features
 * plus the embedding reduced to {@code K} dimensions by a fixed random projection, and (2) a hindsight ceiling: ridge
 * regression of the per-prompt gain on the full 384-dimension embedding, 5-fold cross-validated with every outcome
 * known. Run: {@code java -cp ... dev.arbiter.decide.EmbeddingReplay ../shared/data/routing/routellm_gsm8k.tsv}.
 */
public final class EmbeddingReplay {
    static final int K = 16;

    public static void main(String[] args) throws Exception {
        List<Replay.Row> rows = Replay.read(Path.of(args[0]));
        var model = new AllMiniLmL6V2EmbeddingModel();
        long t0 = System.nanoTime();
        float[][] emb = new float[rows.size()][];
        for (int i = 0; i < rows.size(); i++) emb[i] = model.embed(rows.get(i).prompt()).content().vector();
        System.out.printf(Locale.ROOT, "embedded %d prompts in %.1f s%n", rows.size(), (System.nanoTime() - t0) / 1e9);
        int dim = emb[0].length;
        var random = new SplittableRandom(42);
        double[][] proj = new double[K][dim];
        for (double[] p : proj) for (int j = 0; j < dim; j++) p[j] = random.nextGaussian() / Math.sqrt(K);
        var reduced = new ArrayList<Replay.Row>();
        for (int i = 0; i < rows.size(); i++) {
            Replay.Row r = rows.get(i);
            double[] x = new double[Features.DIM + K];
            System.arraycopy(r.features(), 0, x, 0, Features.DIM);
            for (int k = 0; k < K; k++) {
                double s = 0;
                for (int j = 0; j < dim; j++) s += proj[k][j] * emb[i][j];
                x[Features.DIM + k] = s;
            }
            reduced.add(new Replay.Row(r.prompt(), r.weak(), r.strong(), x));
        }
        var replay = new Replay(reduced, Replay.Prices.GSM8K);
        for (String p : List.of("linucb", "contextual-thompson")) {
            var res = replay.evaluate(p);
            System.out.printf(Locale.ROOT, "%s, 8 features + %d-dim projected embedding, online: strong_share_at_95 %.1f%%%n", p, K,
                    100 * res.strongShareAt95());
        }
        System.out.printf(Locale.ROOT, "hindsight ceiling, ridge on the 384-dim embedding, 5-fold CV with full labels: %.1f%%%n",
                100 * ceiling(rows, emb));
    }

    /** Ranks prompts by a cross-validated ridge prediction of (strong - weak) and reads the share the target needs. */
    static double ceiling(List<Replay.Row> rows, float[][] emb) {
        int n = rows.size();
        int d = emb[0].length + 1;
        double[] score = new double[n];
        for (int fold = 0; fold < 5; fold++) {
            double[][] a = new double[d][d];
            double[] b = new double[d];
            for (int i = 0; i < n; i++) {
                if (i % 5 == fold) continue;
                double[] x = x(emb[i]);
                double y = (rows.get(i).strong() ? 1 : 0) - (rows.get(i).weak() ? 1 : 0);
                for (int p = 0; p < d; p++) {
                    b[p] += x[p] * y;
                    for (int q = 0; q < d; q++) a[p][q] += x[p] * x[q];
                }
            }
            for (int p = 0; p < d; p++) a[p][p] += 1.0;
            double[] w = solve(a, b);
            for (int i = fold; i < n; i += 5) {
                double[] x = x(emb[i]);
                double s = 0;
                for (int p = 0; p < d; p++) s += w[p] * x[p];
                score[i] = s;
            }
        }
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        java.util.Arrays.sort(idx, (i, j) -> Double.compare(score[j], score[i]));
        double acc = 0;
        double strong = 0;
        for (Replay.Row r : rows) {
            if (r.weak()) acc++;
            if (r.strong()) strong++;
        }
        double target = 0.95 * strong;
        for (int k = 0; k < n; k++) {
            if (acc >= target) return k / (double) n;
            Replay.Row r = rows.get(idx[k]);
            acc += (r.strong() ? 1 : 0) - (r.weak() ? 1 : 0);
        }
        return 1;
    }

    private static double[] x(float[] e) {
        double[] x = new double[e.length + 1];
        x[0] = 1;
        for (int i = 0; i < e.length; i++) x[i + 1] = e[i];
        return x;
    }

    /** Gaussian elimination with partial pivoting (the matrix is small and well conditioned by the ridge). */
    private static double[] solve(double[][] a, double[] b) {
        int n = b.length;
        for (int c = 0; c < n; c++) {
            int piv = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[piv][c])) piv = r;
            double[] t = a[c]; a[c] = a[piv]; a[piv] = t;
            double tb = b[c]; b[c] = b[piv]; b[piv] = tb;
            for (int r = c + 1; r < n; r++) {
                double f = a[r][c] / a[c][c];
                if (f == 0) continue;
                for (int k = c; k < n; k++) a[r][k] -= f * a[c][k];
                b[r] -= f * b[c];
            }
        }
        double[] x = new double[n];
        for (int r = n - 1; r >= 0; r--) {
            double s = b[r];
            for (int k = r + 1; k < n; k++) s -= a[r][k] * x[k];
            x[r] = s / a[r][r];
        }
        return x;
    }
}
