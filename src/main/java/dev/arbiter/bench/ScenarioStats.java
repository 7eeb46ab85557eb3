package dev.arbiter.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SynchronizedHistogram;

/**
 * What one scenario measured: latency from each request's intended send time to the end of its answer, time
 * to first body byte (streams), and the generator's own lag (actual minus intended send time), all in
 * nanoseconds; counts of answers and errors by kind; and the phase time and sends behind the achieved rate.
 */
final class ScenarioStats {
    private static final long MAX_NANOS = 60_000_000_000L;

    final Scenario scenario;
    final Histogram latency = new SynchronizedHistogram(MAX_NANOS, 3);
    final Histogram firstByte = new SynchronizedHistogram(MAX_NANOS, 3);
    final Histogram lag = new SynchronizedHistogram(MAX_NANOS, 3);
    final LongAdder ok = new LongAdder();
    final LongAdder errors = new LongAdder();
    private final Map<String, LongAdder> errorKinds = new ConcurrentHashMap<>();
    private final LongAdder sent = new LongAdder();
    private final LongAdder phaseNanos = new LongAdder();
    private final long[] cpuTicks;
    final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

    ScenarioStats(Scenario scenario, int cpuSlots) {
        this.scenario = scenario;
        this.cpuTicks = new long[cpuSlots];
    }

    void sent(long intended, long actual) {
        sent.increment();
        lag.recordValue(Math.max(0, actual - intended));
    }

    void ok(long intended, long end, long firstByteAt) {
        ok.increment();
        latency.recordValue(Math.min(MAX_NANOS, Math.max(0, end - intended)));
        if (scenario.stream()) firstByte.recordValue(Math.min(MAX_NANOS, Math.max(0, firstByteAt - intended)));
    }

    void error(String kind) {
        errors.increment();
        errorKinds.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    /** Adds a phase: the time from its first intended send to its last actual send plus one interval. */
    void phase(long nanos) {
        phaseNanos.add(nanos);
    }

    /** Charges this scenario the CPU ticks a phase used, slot by slot as {@link CpuWatch#names()}. */
    synchronized void cpu(long[] ticks) {
        for (int i = 0; i < cpuTicks.length; i++) cpuTicks[i] += ticks[i];
    }

    private final Map<String, long[]> threadCounts = new TreeMap<>();

    /** Adds a phase's counts by thread group, slots as {@link ThreadWatch}. */
    synchronized void threads(Map<String, long[]> delta) {
        delta.forEach((group, d) -> {
            long[] sum = threadCounts.computeIfAbsent(group, g -> new long[ThreadWatch.SLOTS]);
            for (int i = 0; i < sum.length; i++) sum[i] += d[i];
        });
    }

    /** Per thread group: CPU microseconds, voluntary and involuntary context switches, each per request sent. */
    synchronized Map<String, double[]> threadsPerRequest() {
        long n = sent.sum();
        var out = new java.util.LinkedHashMap<String, double[]>();
        if (n == 0) return out;
        threadCounts.forEach((group, c) -> out.put(group, new double[] {c[ThreadWatch.CPU_NANOS] / 1e3 / n,
                (double) c[ThreadWatch.VOLUNTARY] / n, (double) c[ThreadWatch.INVOLUNTARY] / n}));
        return out;
    }

    /** CPU microseconds per request sent, for slot {@code i}. */
    synchronized double cpuMicrosPerRequest(int i) {
        long n = sent.sum();
        return n == 0 ? Double.NaN : cpuTicks[i] * (double) CpuWatch.TICK_MICROS / n;
    }

    /** Cores used on average during this scenario's phases, for slot {@code i}. */
    synchronized double cores(int i) {
        long t = phaseNanos.sum();
        return t == 0 ? Double.NaN : cpuTicks[i] * CpuWatch.TICK_MICROS * 1e3 / t;
    }

    long sent() {
        return sent.sum();
    }

    double achievedRate() {
        long t = phaseNanos.sum();
        return t == 0 ? 0 : sent.sum() * 1e9 / t;
    }

    Map<String, Long> errorKinds() {
        var m = new TreeMap<String, Long>();
        errorKinds.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }
}
