package dev.arbiter.decide;

import dev.arbiter.cache.semantic.LocalEmbedder;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An experiment, not a test: which request features let the contextual policies (linucb, contextual-thompson, knn)
 * route GSM8K online with fewer strong calls. Each figure is strong_share_at_95 of {@link Replay} over three disjoint
 * groups of 5 shuffled orders (mean and range), so no figure is tuned on one order. Embeddings come from the shipped
 * quantized all-MiniLM-L6-v2 ({@link LocalEmbedder}), cached in the file given as the second argument.
 * Run: {@code java -cp ... dev.arbiter.decide.FeatureReplay ../shared/data/routing/routellm_gsm8k.tsv /tmp/emb.bin [policy...]}.
 */
public final class FeatureReplay {
    public static void main(String[] args) throws Exception {
        List<Replay.Row> rows = Replay.read(Path.of(args[0]));
        float[][] emb = embeddings(rows, Path.of(args[1]));
        List<String> policies = args.length > 2 ? List.of(args).subList(2, args.length) : List.of("linucb", "contextual-thompson", "knn");
        Map<String, java.util.function.BiFunction<Replay.Row, float[], double[]>> sets = new LinkedHashMap<>();
        sets.put("text8", (r, e) -> r.features());
        sets.put("embed16", (r, e) -> concat(new double[] {1}, Projection.of(e, 16)));
        sets.put("text8+embed16", (r, e) -> concat(r.features(), Projection.of(e, 16)));
        sets.put("text8+embed32", (r, e) -> concat(r.features(), Projection.of(e, 32)));
        sets.put("text8+embed8", (r, e) -> concat(r.features(), Projection.of(e, 8)));
        sets.put("text8+embed24", (r, e) -> concat(r.features(), Projection.of(e, 24)));
        sets.put("text16", (r, e) -> concat(r.features(), extra(r.prompt())));
        sets.put("text16+embed16", (r, e) -> concat(concat(r.features(), extra(r.prompt())), Projection.of(e, 16)));
        String only = System.getProperty("sets");
        for (var set : sets.entrySet()) {
            if (only != null && !List.of(only.split(",")).contains(set.getKey())) continue;
            var reduced = new ArrayList<Replay.Row>();
            for (int i = 0; i < rows.size(); i++) {
                Replay.Row r = rows.get(i);
                reduced.add(new Replay.Row(r.prompt(), r.weak(), r.strong(), set.getValue().apply(r, emb[i])));
            }
            var replay = new Replay(reduced, Replay.Prices.GSM8K);
            int dim = reduced.getFirst().features().length;
            int groups = Integer.getInteger("groups", 3);
            for (String p : policies) {
                long t0 = System.nanoTime();
                double[] g = new double[3];
                String[] spec = p.split(":");
                for (int k = 0; k < groups; k++) {
                    g[k] = spec.length == 1 ? replay.evaluate(p, k * 5, 5).strongShareAt95()
                            : replay.evaluate(p, random -> spec[0].equals("knn")
                                    ? new Knn(2, dim, Knn.DEFAULT_CAPACITY, Double.parseDouble(spec[1]), Double.parseDouble(spec[2]))
                                    : Policies.create(spec[0], 2, dim, Double.parseDouble(spec[1]), random), k * 5, 5).strongShareAt95();
                }
                if (groups == 1) g[1] = g[2] = g[0];
                double mean = (g[0] + g[1] + g[2]) / 3;
                System.out.printf(Locale.ROOT, "%-14s %-20s strong_share_at_95 %.1f%% (groups %.1f / %.1f / %.1f) %.0f s%n", set.getKey(), p,
                        100 * mean, 100 * g[0], 100 * g[1], 100 * g[2], (System.nanoTime() - t0) / 1e9);
            }
        }
    }

    /** Cheap cues of a word problem's steps: rates, percentages, fractions, multiples, money, time, question words. */
    static double[] extra(String text) {
        String t = text.toLowerCase(Locale.ROOT);
        String[][] groups = {
                {" each ", " every ", " per ", " a day", " a week"},
                {"%", "percent"},
                {"/", "half", "third", "quarter", "fraction"},
                {"twice", "double", "triple", "times as", " times "},
                {"$", "dollar", "cent"},
                {"hour", "minute", "day", "week", "month", "year"},
                {"how many", "how much", "what is", "what percent", "how long"},
                {"more than", "less than", "fewer", "remain", "left", "rest"}};
        double[] x = new double[groups.length];
        for (int g = 0; g < groups.length; g++) {
            int n = 0;
            for (String w : groups[g]) for (int i = t.indexOf(w); i >= 0; i = t.indexOf(w, i + 1)) n++;
            x[g] = Math.min(n, 10) / 5.0;
        }
        return x;
    }

    static double[] concat(double[] a, double[] b) {
        double[] x = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, x, a.length, b.length);
        return x;
    }

    static float[][] embeddings(List<Replay.Row> rows, Path cache) throws Exception {
        if (Files.exists(cache)) {
            try (var in = new DataInputStream(Files.newInputStream(cache))) {
                int n = in.readInt();
                int d = in.readInt();
                if (n == rows.size()) {
                    float[][] e = new float[n][d];
                    for (float[] v : e) for (int j = 0; j < d; j++) v[j] = in.readFloat();
                    return e;
                }
            }
        }
        float[][] e = new float[rows.size()][];
        try (var embedder = new LocalEmbedder(LocalEmbedder.Model.ALL_MINILM_L6_V2_Q)) {
            long t0 = System.nanoTime();
            for (int i = 0; i < rows.size(); i++) e[i] = embedder.embed(rows.get(i).prompt());
            System.out.printf(Locale.ROOT, "embedded %d prompts in %.1f s%n", rows.size(), (System.nanoTime() - t0) / 1e9);
        }
        try (var out = new DataOutputStream(Files.newOutputStream(cache))) {
            out.writeInt(e.length);
            out.writeInt(e[0].length);
            for (float[] v : e) for (float f : v) out.writeFloat(f);
        }
        return e;
    }
}
