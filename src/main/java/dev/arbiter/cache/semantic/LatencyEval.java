package dev.arbiter.cache.semantic;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.HdrHistogram.Histogram;

/**
 * The index's search latency and memory at a size, on synthetic unit vectors (random directions: the hardest case
 * for a graph search, since no neighbour is much closer than another). One partition holds every entry: the worst
 * case for the partition filter.
 */
public final class LatencyEval {
    /** Search latency percentiles (microseconds), heap per entry (bytes), and the time to build the index. */
    public record Result(long entries, double p50Micros, double p99Micros, double maxMicros, double bytesPerEntry,
                         Duration build) {
    }

    private LatencyEval() {
    }

    /** Builds an index of {@code entries} vectors of {@code dimension}, then times {@code queries} searches. */
    public static Result run(long entries, int dimension, int queries, long seed) {
        var random = new SplittableRandom(seed);
        Instant never = Instant.parse("9999-01-01T00:00:00Z");
        long before = usedHeap();
        long t0 = System.nanoTime();
        var index = new LuceneHnswIndex(dimension, entries, Duration.ofSeconds(1), InstantSource.system());
        index.rebuild(LongStream.range(0, entries).mapToObj(i ->
                new IndexEntry("e" + i, "p", "prompt " + i, unit(random, dimension), never)));
        Duration build = Duration.ofNanos(System.nanoTime() - t0);
        long after = usedHeap();
        var histogram = new Histogram(3);
        for (int i = 0; i < queries + queries / 5; i++) {
            float[] q = unit(random, dimension);
            long s = System.nanoTime();
            index.search("p", q, 4, 0.9f);
            long micros = (System.nanoTime() - s) / 1000;
            if (i >= queries / 5) histogram.recordValue(micros); // the first fifth warms up
        }
        index.close();
        return new Result(entries, histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(99),
                histogram.getMaxValue(), (double) (after - before) / entries, build);
    }

    static float[] unit(SplittableRandom random, int dimension) {
        float[] v = new float[dimension];
        for (int i = 0; i < dimension; i++) v[i] = (float) random.nextGaussian();
        return Embedder.normalise(v);
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) System.gc();
        return rt.totalMemory() - rt.freeMemory();
    }
}
