package dev.arbiter.cli;

import dev.arbiter.cache.semantic.LocalEmbedder;
import dev.arbiter.decide.Policies;
import dev.arbiter.decide.Replay;
import dev.arbiter.decide.RoutesConfig;
import dev.arbiter.decide.Simulator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code arbiter eval}: offline evaluations: {@code routing} (the decision engine's policies replayed on recorded outcomes) and {@code semantic-cache}. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Offline evaluations.",
        subcommands = {EvalCommand.Routing.class, SemanticCacheEvalCommand.SemanticCacheEval.class})
final class EvalCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "routing", mixinStandardHelpOptions = true,
            description = "Replay routing policies on a file of prompts with each model's outcome (online, no peeking).")
    static final class Routing implements Callable<Integer> {
        static final int SIMULATOR_STEPS = 5000;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--data", required = true, description = "TSV with prompt, weak_*, strong_* (and contaminated) columns")
        Path data;

        @Option(names = "--policy", description = "one policy (default: all): ${COMPLETION-CANDIDATES}",
                completionCandidates = PolicyNames.class)
        String policy;

        @Option(names = "--json", description = "one JSON object per policy per line")
        boolean json;

        @Option(names = "--features", defaultValue = "text",
                description = "the contextual policies' features: text | text+embedding (the in-process all-MiniLM-L6-v2, int8)")
        String features;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            if (policy != null && !Policies.NAMES.contains(policy)) {
                spec.commandLine().getErr().println("--policy: " + policy + " (expected: " + String.join(" | ", Policies.NAMES) + ")");
                return 2;
            }
            if (!RoutesConfig.FEATURES.contains(features)) {
                spec.commandLine().getErr().println("--features: " + features + " (expected: " + String.join(" | ", RoutesConfig.FEATURES) + ")");
                return 2;
            }
            List<Replay.Row> rows = Replay.read(data);
            if (features.equals("text+embedding")) {
                try (var embedder = new LocalEmbedder(LocalEmbedder.Model.ALL_MINILM_L6_V2_Q)) {
                    rows = Replay.withEmbeddings(rows, embedder::embed);
                }
            }
            var replay = new Replay(rows, Replay.Prices.GSM8K);
            var results = new ArrayList<Replay.Result>();
            results.add(replay.random());
            results.add(replay.oracle());
            // the curve and operating point: seeds 0-4; the spread: strong_share_at_95 over two more groups of 5 orders
            var groups = new java.util.HashMap<String, double[]>();
            for (String p : policy == null ? Policies.NAMES : List.of(policy)) {
                if (features.equals("text+embedding") && !Policies.contextual(p)) continue;
                Replay.Result r = replay.evaluate(p);
                results.add(r);
                groups.put(p, new double[] {r.strongShareAt95(), replay.evaluate(p, 5, 5).strongShareAt95(), replay.evaluate(p, 10, 5).strongShareAt95()});
            }
            if (!json) {
                out.printf(Locale.ROOT, "%d prompts; weak %.1f%%, strong %.1f%% correct; target (95%% of strong) %.1f%%%n%n",
                        replay.size(), 100 * replay.weakAccuracy(), 100 * replay.strongAccuracy(), 100 * replay.target());
                out.printf(Locale.ROOT, "%-20s %18s %17s %10s %13s %10s %14s%n", "policy", "strong_share_at_95", "3x5 orders",
                        "accuracy", "strong_share", "cost_usd", "regret@" + SIMULATOR_STEPS);
            }
            for (Replay.Result r : results) {
                double regret = regret(r.policy());
                var o = r.operating();
                if (json) {
                    var curve = new StringBuilder();
                    for (var p : r.curve()) {
                        if (!curve.isEmpty()) curve.append(',');
                        curve.append(String.format(Locale.ROOT, "[%.4f,%.4f,%.4f]", p.strongShare(), p.accuracy(), p.cost()));
                    }
                    double[] g = groups.getOrDefault(r.policy(), new double[] {r.strongShareAt95()});
                    var gs = new StringBuilder();
                    for (double v : g) gs.append(gs.isEmpty() ? "" : ",").append(String.format(Locale.ROOT, "%.4f", v));
                    out.printf(Locale.ROOT, "{\"policy\":\"%s\",\"features\":\"%s\",\"accuracy\":%.4f,\"strong_share\":%.4f,\"strong_share_at_95\":%.4f,"
                                    + "\"strong_share_at_95_groups\":[%s],\"cost\":%.4f,\"weak_share\":%.4f,\"regret\":%s,\"curve\":[%s]}%n",
                            r.policy(), Policies.contextual(r.policy()) ? features : "none", o.accuracy(), o.strongShare(), r.strongShareAt95(), gs,
                            o.cost(), 1 - o.strongShare(),
                            Double.isNaN(regret) ? "null" : String.format(Locale.ROOT, "%.1f", regret), curve);
                } else {
                    double[] g = groups.getOrDefault(r.policy(), new double[] {r.strongShareAt95()});
                    double mean = java.util.Arrays.stream(g).average().orElseThrow();
                    String spread = g.length == 1 ? "-" : String.format(Locale.ROOT, "%.1f%% (%.1f-%.1f)", 100 * mean,
                            100 * java.util.Arrays.stream(g).min().orElseThrow(), 100 * java.util.Arrays.stream(g).max().orElseThrow());
                    out.printf(Locale.ROOT, "%-20s %17.2f%% %17s %9.1f%% %12.1f%% %10.4f %14s%n", r.policy(), 100 * r.strongShareAt95(), spread,
                            100 * o.accuracy(), 100 * o.strongShare(), o.cost(),
                            Double.isNaN(regret) ? "-" : String.format(Locale.ROOT, "%.1f", regret));
                }
            }
            if (!json) {
                out.println();
                out.println("strong_share_at_95: share of calls to the strong model needed to reach the target (lower is better);");
                out.println("3x5 orders: its mean (and range) over three groups of 5 shuffled orders; features: " + features + ";");
                out.println("accuracy, strong_share, cost: the policy's cheapest operating point that reaches it (or its best);");
                out.println("regret: cumulative expected regret against the oracle after " + SIMULATOR_STEPS
                        + " steps of the three-task simulator (mean of 5 seeds).");
            }
            out.flush();
            return 0;
        }

        private static double regret(String policy) {
            if (!Policies.NAMES.contains(policy)) return Double.NaN;
            var sim = Simulator.threeTasks();
            double total = 0;
            for (int seed = 0; seed < 5; seed++) {
                var p = Policies.create(policy, sim.arms(), sim.tasks() + 1, Double.NaN, new SplittableRandom(seed));
                double[] r = sim.run(p, SIMULATOR_STEPS, seed + 100);
                total += r[r.length - 1];
            }
            return total / 5;
        }
    }

    static final class PolicyNames extends ArrayList<String> {
        PolicyNames() {
            super(Policies.NAMES);
        }
    }
}
