package dev.arbiter.decide;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Offline evaluation of a routing policy on recorded outcomes: for each prompt, in a shuffled order, the policy sees
 * the prompt's features, chooses the weak or the strong model, and only then learns whether the chosen model
 * answered correctly (the other model's outcome is never shown: online learning with bandit feedback, no peeking).
 *
 * <p>The reward is {@code (correct + lambda [weak]) / (1 + lambda)}: lambda is what a strong call must gain in
 * accuracy to be worth its price. Sweeping lambda traces the policy's quality-cost curve (share of strong calls
 * against accuracy), each point the mean of {@link #SEEDS} runs; {@code strong_share_at_95} is the smallest share of
 * strong calls at which the curve reaches 95% of the strong model's accuracy, two points mixed at random where it
 * crosses between them (as RouteLLM's call-performance threshold is read off its curves). The random router and the
 * oracle (strong exactly where it is right and the weak model wrong) are computed the same way.
 *
 * <p>Data: a tab-separated file with a header naming {@code prompt}, one column starting {@code weak_}, one starting
 * {@code strong_} (True/False or 1/0), and optionally {@code contaminated} (rows marked True are dropped).
 */
public final class Replay {
    static final int SEEDS = 5;
    /** Assumed answer length for the cost estimate: GSM8K answers with their reasoning run 150-250 tokens. */
    static final int OUTPUT_TOKENS = 200;

    /** One prompt and whether each model answered it correctly. */
    public record Row(String prompt, boolean weak, boolean strong, double[] features) {
    }

    /** List prices per million tokens (input, output) of the two models, for the cost column. */
    public record Prices(String weakName, double weakIn, double weakOut, String strongName, double strongIn, double strongOut) {
        /** Mixtral-8x7B-Instruct at Together's $0.60/M and GPT-4-1106-preview at OpenAI's $10/$30 per M. */
        public static final Prices GSM8K = new Prices("mixtral-8x7b", 0.60, 0.60, "gpt-4-1106-preview", 10, 30);

        double cost(Row r, boolean strong) {
            double in = Math.max(1, r.prompt().length() / 4.0);
            return strong ? (in * strongIn + OUTPUT_TOKENS * strongOut) / 1e6 : (in * weakIn + OUTPUT_TOKENS * weakOut) / 1e6;
        }
    }

    /** One operating point: share of strong calls, accuracy, total cost in USD. */
    public record Point(double lambda, double strongShare, double accuracy, double cost) {
    }

    /** A policy's result: its curve, the point that first reaches the target, and the share needed for it. */
    public record Result(String policy, List<Point> curve, Point operating, double strongShareAt95) {
    }

    private final List<Row> rows;
    private final Prices prices;

    public Replay(List<Row> rows, Prices prices) {
        if (rows.isEmpty()) throw new IllegalArgumentException("no rows to replay");
        this.rows = List.copyOf(rows);
        this.prices = prices;
    }

    /** Reads a file of the documented columns, dropping contaminated rows. */
    public static List<Row> read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty()) throw new IOException(file + ": empty (expected: a header row)");
        List<String> header = Arrays.asList(lines.getFirst().split("\t", -1));
        int prompt = header.indexOf("prompt");
        int weak = -1;
        int strong = -1;
        for (int i = 0; i < header.size(); i++) {
            if (header.get(i).startsWith("weak_")) weak = i;
            if (header.get(i).startsWith("strong_")) strong = i;
        }
        int contaminated = header.indexOf("contaminated");
        if (prompt < 0 || weak < 0 || strong < 0) {
            throw new IOException(file + ": columns " + header + " (expected: prompt, weak_*, strong_*)");
        }
        var out = new ArrayList<Row>();
        for (int n = 1; n < lines.size(); n++) {
            String line = lines.get(n);
            if (line.isBlank()) continue;
            String[] f = line.split("\t", -1);
            if (f.length < header.size()) throw new IOException(file + ":" + (n + 1) + ": " + f.length + " fields (expected: " + header.size() + ")");
            if (contaminated >= 0 && bool(f[contaminated])) continue;
            String text = f[prompt].replace("\\n", "\n").replace("\\t", "\t");
            out.add(new Row(text, bool(f[weak]), bool(f[strong]), Features.of(text)));
        }
        return out;
    }

    /**
     * The rows with each prompt's embedding added to its features, as a route with {@code features: text+embedding}
     * sees them ({@link Features#withEmbedding}).
     */
    public static List<Row> withEmbeddings(List<Row> rows, java.util.function.Function<String, float[]> embed) {
        var out = new ArrayList<Row>(rows.size());
        for (Row r : rows) out.add(new Row(r.prompt(), r.weak(), r.strong(), Features.withEmbedding(r.features(), embed.apply(r.prompt()))));
        return out;
    }

    private static boolean bool(String s) {
        return s.equalsIgnoreCase("true") || s.equals("1");
    }

    public int size() {
        return rows.size();
    }

    public double weakAccuracy() {
        return rows.stream().filter(Row::weak).count() / (double) rows.size();
    }

    public double strongAccuracy() {
        return rows.stream().filter(Row::strong).count() / (double) rows.size();
    }

    public double target() {
        return 0.95 * strongAccuracy();
    }

    /** The lambdas swept: 0 (strong whenever it may be better) to 0.6 (strong only for a large expected gain). */
    static double[] lambdas() {
        double[] l = new double[31];
        for (int i = 0; i < l.length; i++) l[i] = i * 0.02;
        return l;
    }

    /** Runs {@code policy} online over every lambda and seed. */
    public Result evaluate(String policy) {
        return evaluate(policy, 0, SEEDS);
    }

    /** Runs {@code policy} online over every lambda, averaging the seeds {@code first .. first + seeds - 1}. */
    public Result evaluate(String policy, int first, int seeds) {
        int dim = rows.getFirst().features().length;
        return evaluate(policy, random -> Policies.create(policy, 2, dim, Double.NaN, random), first, seeds);
    }

    /** As {@link #evaluate(String, int, int)} for a policy made by {@code make} (experiments with settings). */
    Result evaluate(String policy, java.util.function.Function<java.util.random.RandomGenerator, Policy> make, int first, int seeds) {
        var curve = new ArrayList<Point>();
        for (double lambda : lambdas()) {
            double share = 0;
            double acc = 0;
            double cost = 0;
            for (int seed = first; seed < first + seeds; seed++) {
                var random = new SplittableRandom(seed * 7919L + 1);
                Policy p = make.apply(random.split());
                int[] order = shuffled(random);
                for (int i : order) {
                    Row r = rows.get(i);
                    boolean strong = p.choose(r.features()) == 1;
                    boolean correct = strong ? r.strong() : r.weak();
                    p.update(strong ? 1 : 0, r.features(), ((correct ? 1 : 0) + (strong ? 0 : lambda)) / (1 + lambda));
                    if (strong) share++;
                    if (correct) acc++;
                    cost += prices.cost(r, strong);
                }
            }
            int n = seeds * rows.size();
            curve.add(new Point(lambda, share / n, acc / n, cost / seeds));
        }
        return result(policy, curve);
    }

    /** The oracle: strong exactly where only the strong model is right, ranked so each share is its best. */
    public Result oracle() {
        var curve = new ArrayList<Point>();
        double acc = weakAccuracy();
        int gains = 0;
        for (Row r : rows) if (r.strong() && !r.weak()) gains++;
        double weakCost = rows.stream().mapToDouble(r -> prices.cost(r, false)).sum();
        double strongCost = rows.stream().filter(r -> r.strong() && !r.weak()).mapToDouble(r -> prices.cost(r, true) - prices.cost(r, false)).sum();
        curve.add(new Point(Double.NaN, 0, acc, weakCost));
        curve.add(new Point(Double.NaN, gains / (double) rows.size(), acc + gains / (double) rows.size(), weakCost + strongCost));
        return result("oracle", curve);
    }

    /** The random router: strong with probability p, accuracy linear in p (its expectation, exactly). */
    public Result random() {
        var curve = new ArrayList<Point>();
        double weakCost = rows.stream().mapToDouble(r -> prices.cost(r, false)).sum();
        double strongCost = rows.stream().mapToDouble(r -> prices.cost(r, true)).sum();
        for (int i = 0; i <= 20; i++) {
            double p = i / 20.0;
            curve.add(new Point(Double.NaN, p, (1 - p) * weakAccuracy() + p * strongAccuracy(), (1 - p) * weakCost + p * strongCost));
        }
        return result("random", curve);
    }

    private int[] shuffled(SplittableRandom random) {
        int[] order = new int[rows.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private Result result(String policy, List<Point> curve) {
        double target = target();
        // always-weak and always-strong are on every router's curve: a router may be mixed with either at random
        var points = new ArrayList<>(curve);
        double weakCost = rows.stream().mapToDouble(r -> prices.cost(r, false)).sum();
        double strongCost = rows.stream().mapToDouble(r -> prices.cost(r, true)).sum();
        points.add(new Point(Double.NaN, 0, weakAccuracy(), weakCost));
        points.add(new Point(Double.NaN, 1, strongAccuracy(), strongCost));
        double best = 1;
        for (Point a : points) {
            if (a.accuracy() >= target) best = Math.min(best, a.strongShare());
            for (Point b : points) {
                if (a.accuracy() < target && b.accuracy() >= target && b.strongShare() > a.strongShare()) {
                    double t = (target - a.accuracy()) / (b.accuracy() - a.accuracy());
                    best = Math.min(best, a.strongShare() + t * (b.strongShare() - a.strongShare()));
                }
            }
        }
        Point operating = curve.stream().filter(p -> p.accuracy() >= target)
                .min((x, y) -> Double.compare(x.strongShare(), y.strongShare()))
                .orElseGet(() -> curve.stream().max((x, y) -> Double.compare(x.accuracy(), y.accuracy())).orElseThrow());
        return new Result(policy, List.copyOf(curve), operating, best);
    }
}
