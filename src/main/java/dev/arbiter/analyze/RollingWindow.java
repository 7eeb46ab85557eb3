package dev.arbiter.analyze;

import org.HdrHistogram.IntCountsHistogram;

/**
 * The last {@code window} of one deployment's attempts, in six slots that rotate as time passes: latency as an
 * HdrHistogram per slot (microseconds, 2 significant digits, so p95 is right whatever the load, from no list of
 * samples), attempt and failure counts, and spend. Single-threaded: the analyzer's thread alone touches it.
 */
final class RollingWindow {
    private static final int SLOTS = 6;
    private static final long MAX_MICROS = 3_600_000_000L;

    private final long slotMillis;
    private final IntCountsHistogram[] latency = new IntCountsHistogram[SLOTS];
    private final long[] start = new long[SLOTS];
    private final long[] attempts = new long[SLOTS];
    private final long[] failures = new long[SLOTS];
    private final double[] cost = new double[SLOTS];
    private final IntCountsHistogram merged = new IntCountsHistogram(MAX_MICROS, 2);

    RollingWindow(long windowMillis) {
        this.slotMillis = Math.max(1, windowMillis / SLOTS);
        for (int i = 0; i < SLOTS; i++) {
            latency[i] = new IntCountsHistogram(MAX_MICROS, 2);
            start[i] = Long.MIN_VALUE;
        }
    }

    private int slot(long now) {
        long epoch = Math.floorDiv(now, slotMillis);
        int i = (int) Math.floorMod(epoch, SLOTS);
        long slotStart = epoch * slotMillis;
        if (start[i] != slotStart) {
            start[i] = slotStart;
            latency[i].reset();
            attempts[i] = 0;
            failures[i] = 0;
            cost[i] = 0;
        }
        return i;
    }

    void attempt(long now, double seconds, boolean failed) {
        int i = slot(now);
        attempts[i]++;
        if (failed) failures[i]++;
        else latency[i].recordValue(Math.clamp((long) (seconds * 1e6), 0, MAX_MICROS));
    }

    void cost(long now, double usd) {
        cost[slot(now)] += usd;
    }

    private boolean live(int i, long now) {
        return start[i] != Long.MIN_VALUE && now - start[i] < slotMillis * SLOTS;
    }

    long attempts(long now) {
        long n = 0;
        for (int i = 0; i < SLOTS; i++) if (live(i, now)) n += attempts[i];
        return n;
    }

    /** Failed attempts over attempts; 0 with none. */
    double errorRate(long now) {
        long n = 0;
        long f = 0;
        for (int i = 0; i < SLOTS; i++) {
            if (!live(i, now)) continue;
            n += attempts[i];
            f += failures[i];
        }
        return n == 0 ? 0 : f / (double) n;
    }

    /** p95 of successful attempts' latency, seconds; NaN with none. */
    double p95(long now) {
        merged.reset();
        for (int i = 0; i < SLOTS; i++) if (live(i, now)) merged.add(latency[i]);
        return merged.getTotalCount() == 0 ? Double.NaN : merged.getValueAtPercentile(95) / 1e6;
    }

    /** USD per hour over the window. */
    double spendPerHour(long now) {
        double usd = 0;
        for (int i = 0; i < SLOTS; i++) if (live(i, now)) usd += cost[i];
        return usd * 3_600_000.0 / (slotMillis * SLOTS);
    }
}
