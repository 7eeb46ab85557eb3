package dev.arbiter.decide;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decision latency of a route with four candidates: filter, Pareto frontier, then the composite score
 * ({@code score}) or a policy over the request's features, and the features themselves from a prompt. Sample-time
 * mode, so JMH reports percentiles (p99 is the bound: 50 µs for the score, 200 µs for contextual bandits).
 * Run it as the README's decision-engine section shows.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "-Xms256m", "-Xmx256m"})
public class DecideBenchmark {
    /** A policy name; {@code +embedding}: the route has {@code features: text+embedding} (the embedding is computed in setup). */
    @Param({"", "ucb1", "thompson", "linucb", "contextual-thompson", "knn", "linucb+embedding", "contextual-thompson+embedding",
            "knn+embedding"})
    public String policy;

    private Router router;
    private RequestContext ctx;
    private final String prompt = "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins "
            + "for her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck egg. "
            + "How much in dollars does she make every day at the farmers' market?";

    @Setup
    public void setup() {
        var all = Set.copyOf(Catalog.CAPABILITIES);
        var candidates = List.of(
                new Catalog.Entry("a", "p", 128_000, all, 0.15, 0.6, 0.075, Map.of("math", 0.6)),
                new Catalog.Entry("b", "p", 128_000, all, 2.5, 10, 1.25, Map.of("math", 0.8)),
                new Catalog.Entry("c", "p", 200_000, all, 3, 15, 0.3, Map.of("math", 0.85)),
                new Catalog.Entry("d", "p", 1_000_000, all, 1.25, 10, 0.125, Map.of("math", 0.9)));
        boolean embedding = policy.endsWith("+embedding");
        String name = policy.replace("+embedding", "");
        var route = new RoutesConfig.Route("bench", List.of("a", "b", "c", "d"), name, Reward.BALANCED, Double.NaN, 0, 0, 0, List.of(),
                embedding ? "text+embedding" : "text");
        router = new Router(route, candidates, new SplittableRandom(1));
        double[] x = Features.of(prompt);
        if (embedding) {
            try (var embedder = new dev.arbiter.cache.semantic.LocalEmbedder(dev.arbiter.cache.semantic.LocalEmbedder.Model.ALL_MINILM_L6_V2_Q)) {
                x = Features.withEmbedding(x, embedder.embed(prompt));
            }
        }
        ctx = new RequestContext(80, 200, Set.of(), "math", x);
        var random = new SplittableRandom(2);
        for (int i = 0; i < 5000; i++) {
            var d = router.decide(ctx);
            router.learn(d, random.nextDouble(), d.candidates().get(d.chosen()).cost(), random.nextInt(200, 2000));
        }
    }

    @Benchmark
    public Router.Decision decide() {
        return router.decide(ctx);
    }

    @Benchmark
    public double[] features() {
        return Features.of(prompt);
    }
}
