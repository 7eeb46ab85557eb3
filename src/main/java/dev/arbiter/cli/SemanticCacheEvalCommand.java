package dev.arbiter.cli;

import dev.arbiter.cache.semantic.Guard;
import dev.arbiter.cache.semantic.LatencyEval;
import dev.arbiter.cache.semantic.LocalEmbedder;
import dev.arbiter.cache.semantic.PairEval;
import dev.arbiter.cache.semantic.SemanticCache;
import dev.arbiter.cache.semantic.SemanticConfig;
import dev.arbiter.cache.semantic.TraceEval;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code arbiter eval semantic-cache}: the semantic cache's measured quality (a subcommand of {@link EvalCommand}). */
final class SemanticCacheEvalCommand {
    @Command(name = "semantic-cache", mixinStandardHelpOptions = true,
            description = {"Precision, recall and F1 of semantic hits across thresholds, with and without guards, on paraphrase "
                    + "pairs (DIR/paraphrase: STS-B dev, MRPC train); the hit rate and money saved on a trace of real prompts "
                    + "(DIR/prompts); the index's search latency and memory per entry on synthetic vectors.",
                    "Prints Markdown tables (the README's figures)."})
    static final class SemanticCacheEval implements Callable<Integer> {
        @Option(names = "--data", defaultValue = "../shared/data", description = "The evaluation data directory (default: ${DEFAULT-VALUE})")
        Path data;

        @Option(names = "--model", defaultValue = "all-minilm-l6-v2-q", description = "The embedder (default: ${DEFAULT-VALUE})")
        String model;

        @Option(names = "--limit", defaultValue = "1000000", description = "Pairs read from each file at most (default: all)")
        int limit;

        @Option(names = "--trace-limit", defaultValue = "1000000", description = "Prompts replayed at most (default: all)")
        int traceLimit;

        @Option(names = "--seed", defaultValue = "42", description = "Seed of the trace's order (default: ${DEFAULT-VALUE})")
        long seed;

        @Option(names = "--threshold", description = "The threshold of the trace replay (default: the one chosen on the pairs)")
        Double threshold;

        @Option(names = "--max-prompt-chars", description = "Longest prompt cached by meaning in the replay (default: the config default)")
        Integer maxPromptChars;

        @Option(names = "--input-price", defaultValue = "2.50", description = "Dollars per million input tokens (default: ${DEFAULT-VALUE})")
        double inputPrice;

        @Option(names = "--output-price", defaultValue = "10.00", description = "Dollars per million output tokens (default: ${DEFAULT-VALUE})")
        double outputPrice;

        @Option(names = "--config", description = "A gateway config file: with --priced-model, the prices are that model's")
        Path config;

        @Option(names = "--priced-model", description = "The logical model of --config whose first deployment's price: is used")
        String pricedModel;

        @Option(names = "--output-tokens", defaultValue = "350", description = "Output tokens of an answer, assumed (default: ${DEFAULT-VALUE})")
        int outputTokens;

        @Option(names = "--latency", split = ",", defaultValue = "10000", description = "Index sizes to time searches at, e.g. 10000,1000000 (default: ${DEFAULT-VALUE}; 0: none)")
        List<Long> sizes;

        @Option(names = "--parts", split = ",", defaultValue = "pairs,trace,latency", description = "What to measure (default: ${DEFAULT-VALUE})")
        Set<String> parts;

        @Override
        public Integer call() throws IOException {
            if (LocalEmbedder.Model.named(model) == null) {
                System.err.println("--model: " + model + " (expected: " + LocalEmbedder.Model.names() + ")");
                return 2;
            }
            if ((config == null) != (pricedModel == null)) {
                System.err.println("--config and --priced-model: give both (the prices of a configured model) or neither");
                return 2;
            }
            if (config != null && !configuredPrices()) return 2;
            var semantic = SemanticConfig.DEFAULT;
            if (parts.contains("pairs") || parts.contains("trace")) {
                long rss0 = rssKb();
                long t0 = System.nanoTime();
                try (var embedder = new LocalEmbedder(LocalEmbedder.Model.named(model))) {
                    embedder.embed("warm up");
                    System.out.printf(Locale.ROOT, "Model %s: loaded in %.1f s, resident memory +%d MB%n%n", model,
                            (System.nanoTime() - t0) / 1e9, (rssKb() - rss0) / 1024);
                    if (parts.contains("pairs")) semantic = pairs(embedder, semantic);
                }
            }
            if (parts.contains("trace")) trace(semantic.withThreshold(threshold != null ? threshold : semantic.threshold()));
            if (parts.contains("latency")) latency();
            return 0;
        }

        /** Takes {@code --input-price} and {@code --output-price} from the configured model; false (said why) if it has none. */
        private boolean configuredPrices() {
            dev.arbiter.config.ArbiterConfig cfg;
            try {
                cfg = Sections.loader(System::getenv).load(config);
            } catch (dev.arbiter.config.ConfigException e) {
                System.err.println(config + ": " + e.getMessage());
                return false;
            }
            var model = cfg.models().stream().filter(m -> m.name().equals(pricedModel) || m.aliases().contains(pricedModel)).findFirst();
            if (model.isEmpty() || model.get().deployments().isEmpty()) {
                System.err.println("--priced-model: " + pricedModel + " (expected: a model of " + config + " with a deployment)");
                return false;
            }
            var price = model.get().deployments().getFirst().price();
            inputPrice = price.input();
            outputPrice = price.output();
            System.out.printf(Locale.ROOT, "Prices of %s (deployment %s in %s)%n%n", model.get().name(),
                    model.get().deployments().getFirst().name(), config);
            return true;
        }

        private SemanticConfig pairs(LocalEmbedder embedder, SemanticConfig config) {
            Path dir = data.resolve("paraphrase");
            var sets = List.of(PairEval.stsb(dir.resolve("stsb_dev.tsv"), limit), PairEval.mrpc(dir.resolve("mrpc_train.tsv"), limit));
            String[] names = {"STS-B dev (same: score >= 4)", "MRPC train (same: label 1)"};
            List<List<PairEval.Scored>> scored = new ArrayList<>();
            for (var set : sets) {
                long t0 = System.nanoTime();
                scored.add(PairEval.score(set, embedder));
                long distinct = set.stream().flatMap(p -> java.util.stream.Stream.of(p.a(), p.b())).distinct().count();
                System.out.printf(Locale.ROOT, "Embedded %d sentences in %.1f s: %.1f ms each%n", distinct,
                        (System.nanoTime() - t0) / 1e9, (System.nanoTime() - t0) / 1e6 / distinct);
            }
            List<Set<Guard>> guardSets = List.of(Set.of(), Set.of(Guard.NUMBERS), Set.of(Guard.NEGATIONS), Set.of(Guard.ENTITIES),
                    EnumSet.allOf(Guard.class));
            String[] guardNames = {"none", "numbers", "negations", "entities", "all three"};
            for (int d = 0; d < sets.size(); d++) {
                long same = sets.get(d).stream().filter(PairEval.Pair::same).count();
                System.out.printf(Locale.ROOT, "%n%s: %d pairs, %d same. Precision / recall by guards:%n%n", names[d], sets.get(d).size(), same);
                System.out.println("| threshold | " + String.join(" | ", guardNames) + " |");
                System.out.println("| --- |" + " --- |".repeat(guardNames.length));
                for (int t = 80; t <= 98; t++) {
                    var row = new StringBuilder("| " + String.format(Locale.ROOT, "%.2f", t / 100.0) + " |");
                    for (var g : guardSets) {
                        var p = PairEval.at(scored.get(d), t / 100.0, g);
                        row.append(String.format(Locale.ROOT, " %.3f / %.3f |", p.precision(), p.recall()));
                    }
                    System.out.println(row);
                }
            }
            // The lowest threshold reaching precision >= 0.95 on both sets, per guard set; the default takes the
            // guard set with the best recall (summed over both sets) there.
            System.out.printf(Locale.ROOT, "%nLowest threshold (step 0.005) with precision >= 0.95 on both sets:%n%n");
            System.out.println("| guards | threshold | STS-B P / R / F1 | MRPC P / R / F1 |");
            System.out.println("| --- | --- | --- | --- |");
            double bestRecall = -1;
            SemanticConfig chosen = config;
            for (int g = 0; g < guardSets.size(); g++) {
                for (int t = 700; t <= 1000; t += 5) {
                    double th = t / 1000.0;
                    var a = PairEval.at(scored.get(0), th, guardSets.get(g));
                    var b = PairEval.at(scored.get(1), th, guardSets.get(g));
                    if (a.precision() < 0.95 || b.precision() < 0.95) continue;
                    System.out.printf(Locale.ROOT, "| %s | %.3f | %.3f / %.3f / %.3f | %.3f / %.3f / %.3f |%n", guardNames[g], th,
                            a.precision(), a.recall(), a.f1(), b.precision(), b.recall(), b.f1());
                    if (a.recall() + b.recall() > bestRecall) {
                        bestRecall = a.recall() + b.recall();
                        chosen = config.withThreshold(th).withGuards(guardSets.get(g));
                    }
                    break;
                }
            }
            System.out.printf(Locale.ROOT, "%nChosen: threshold %.3f, guards %s%n%n", chosen.threshold(), chosen.guards());
            return chosen;
        }

        private void trace(SemanticConfig config) {
            var prompts = TraceEval.prompts(data.resolve("prompts/sharegpt_first_turn_prompts.tsv"), seed, traceLimit);
            int chars = maxPromptChars == null ? config.maxPromptChars() : maxPromptChars;
            var c = new SemanticConfig(config.threshold(), model, config.maxEntries(), config.guards(), config.candidates(),
                    chars, config.refreshInterval());
            try (var cache = SemanticCache.inProcess(c, InstantSource.system())) {
                var r = TraceEval.replay(prompts, cache, 10);
                System.out.printf(Locale.ROOT, "Trace: %d prompts replayed in an order shuffled with seed %d, threshold %.3f, guards %s, max-prompt-chars %d%n%n",
                        r.requests(), seed, c.threshold(), c.guards(), c.maxPromptChars());
                System.out.println("| exact hits | semantic hits | hit rate | too long for the semantic cache | embedding, ms per prompt | saved |");
                System.out.println("| --- | --- | --- | --- | --- | --- |");
                System.out.printf(Locale.ROOT, "| %d | %d | %.1f%% | %d | %.1f | $%.2f of $%.2f |%n%n", r.exactHits(), r.semanticHits(),
                        100 * r.hitRate(), r.skipped(), r.embedMillisPerPrompt(), r.saved(inputPrice, outputPrice, outputTokens),
                        cost(prompts));
                System.out.printf(Locale.ROOT, "Prices: $%.2f / $%.2f per million input / output tokens, %d output tokens per answer assumed.%n%n",
                        inputPrice, outputPrice, outputTokens);
                System.out.println("Semantic hits (new prompt <- stored prompt, similarity), the first ones:");
                for (String[] s : r.samples()) System.out.println("- " + clip(s[0]) + "  <-  " + clip(s[1]) + "  (" + s[2] + ")");
                System.out.println();
            }
        }

        private double cost(List<String> prompts) {
            long tokens = prompts.stream().mapToLong(dev.arbiter.wire.TokenCounter::count).sum();
            return (tokens * inputPrice + prompts.size() * (double) outputTokens * outputPrice) / 1e6;
        }

        private void latency() {
            System.out.println("| entries | search p50 | search p99 | max | heap per entry | build |");
            System.out.println("| --- | --- | --- | --- | --- | --- |");
            for (long n : sizes) {
                if (n <= 0) continue;
                var r = LatencyEval.run(n, 384, 2000, 42);
                System.out.printf(Locale.ROOT, "| %d | %.0f µs | %.0f µs | %.0f µs | %.0f B | %.0f s |%n", r.entries(), r.p50Micros(),
                        r.p99Micros(), r.maxMicros(), r.bytesPerEntry(), r.build().toMillis() / 1000.0);
            }
        }

        private static String clip(String s) {
            String one = s.replaceAll("\\s+", " ");
            return one.length() > 90 ? one.substring(0, 87) + "..." : one;
        }

        private static long rssKb() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", ""));
                }
            } catch (IOException | RuntimeException e) {
                return 0;
            }
            return 0;
        }
    }
}
