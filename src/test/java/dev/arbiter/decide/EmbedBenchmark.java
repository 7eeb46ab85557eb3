package dev.arbiter.decide;

import dev.arbiter.cache.semantic.LocalEmbedder;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What {@code features: text+embedding} adds to a routed request when the embedding is not shared: embedding a GSM8K
 * prompt with the shipped int8 all-MiniLM-L6-v2 ({@link LocalEmbedder}), then projecting it to the policy's context.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "-Xms256m", "-Xmx256m"})
public class EmbedBenchmark {
    private LocalEmbedder embedder;
    private final String prompt = "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins "
            + "for her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck egg. "
            + "How much in dollars does she make every day at the farmers' market?";

    @Setup
    public void setup() {
        embedder = new LocalEmbedder(LocalEmbedder.Model.ALL_MINILM_L6_V2_Q);
    }

    @TearDown
    public void close() {
        embedder.close();
    }

    @Benchmark
    public double[] embedAndProject() {
        return Features.withEmbedding(Features.of(prompt), embedder.embed(prompt));
    }
}
