package dev.arbiter.route;

import dev.arbiter.provider.Deployment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * What this gateway sees of each deployment's load, for the load-balancing selectors: the attempts in flight to it
 * now, and an exponentially weighted moving average of its latency (time to the answer's head, a stream's to its
 * first event). Node-local by nature (it is this node's own traffic), so it has no shared implementation.
 *
 * <p>The average follows each sample with weight {@link #ALPHA}. A failure before the first byte counts as a sample
 * of at least twice the current average (and its own elapsed time), so a deployment that fails fast does not look
 * fast; a deployment with no sample yet reads 0 and is therefore explored first by the latency selector.
 */
public final class DeploymentLoad {
    /** Weight of the newest sample: about the last ten calls matter. */
    static final double ALPHA = 0.2;

    private final LongSupplier nanos;
    private final Map<String, Stat> byDeployment = new ConcurrentHashMap<>();

    /** Samples kept for the percentile the hedging delay may follow. */
    static final int WINDOW = 128;
    /** Fewer samples than this give no percentile. */
    static final int MIN_SAMPLES = 20;

    private static final class Stat {
        final AtomicInteger inFlight = new AtomicInteger();
        /** The average in nanoseconds, as double bits; NaN before the first sample. */
        volatile double ewma = Double.NaN;
        /** The last {@link #WINDOW} samples, a ring. */
        final long[] recent = new long[WINDOW];
        long count;

        synchronized void sample(double nanos) {
            ewma = Double.isNaN(ewma) ? nanos : ewma + ALPHA * (nanos - ewma);
            recent[(int) (count++ % WINDOW)] = (long) nanos;
        }

        synchronized long percentile(double q) {
            int n = (int) Math.min(count, WINDOW);
            if (n < MIN_SAMPLES) return -1;
            long[] copy = java.util.Arrays.copyOf(recent, n);
            java.util.Arrays.sort(copy);
            return copy[Math.min(n - 1, (int) Math.ceil(q * n) - 1)];
        }
    }

    public DeploymentLoad(LongSupplier nanos) {
        this.nanos = nanos;
    }

    private Stat stat(Deployment d) {
        return byDeployment.computeIfAbsent(d.model() + "/" + d.name(), k -> new Stat());
    }

    /** Attempts to {@code d} in flight now. */
    public int inFlight(Deployment d) {
        return stat(d).inFlight.get();
    }

    /** {@code d}'s latency average in nanoseconds; 0 before its first sample. */
    public double latencyNanos(Deployment d) {
        double v = stat(d).ewma;
        return Double.isNaN(v) ? 0 : v;
    }

    /**
     * {@code d}'s 95th percentile latency over its last {@value #WINDOW} samples, in nanoseconds; -1 before
     * {@value #MIN_SAMPLES} samples. Sorting a copy of at most 128 numbers per call costs a few microseconds.
     */
    public long p95Nanos(Deployment d) {
        return stat(d).percentile(0.95);
    }

    /** Records a latency sample directly (tests, and a shared store's warm-up). */
    void sample(Deployment d, long latencyNanos) {
        stat(d).sample(latencyNanos);
    }

    /** Starts tracking one attempt to {@code d}: counted in flight until {@link Tracker#end}. */
    public Tracker start(Deployment d) {
        Stat s = stat(d);
        s.inFlight.incrementAndGet();
        return new Tracker(s, nanos.getAsLong());
    }

    /** One attempt: its first byte gives a latency sample; its end (once) takes it out of the in-flight count. */
    public final class Tracker {
        private final Stat stat;
        private final long start;
        private final AtomicBoolean sampled = new AtomicBoolean();
        private final AtomicBoolean ended = new AtomicBoolean();

        private Tracker(Stat stat, long start) {
            this.stat = stat;
            this.start = start;
        }

        /** The answer's head or a stream's first event arrived. */
        public void firstByte() {
            if (sampled.compareAndSet(false, true)) stat.sample(nanos.getAsLong() - start);
        }

        /** The attempt ended; {@code upstreamFault}: it failed through the upstream's fault. */
        public void end(boolean upstreamFault) {
            if (!ended.compareAndSet(false, true)) return;
            stat.inFlight.decrementAndGet();
            if (upstreamFault && sampled.compareAndSet(false, true)) {
                double current = stat.ewma;
                stat.sample(Math.max(nanos.getAsLong() - start, Double.isNaN(current) ? 0 : 2 * current));
            }
        }
    }
}
