package dev.arbiter.limit;

/** The wait of a sliding window refusal, shared by the memory counter and the Redis script's caller. */
final class SlidingWindows {
    private SlidingWindows() {
    }

    /**
     * How long until {@code cost} fits: while the previous window's share decays ({@code previous * (1 - t/w) +
     * current + cost <= limit}), else after this window ends, when this window becomes the previous one.
     */
    static long retryAfter(long limit, long w, long previous, long current, long cost, long intoWindow) {
        long room = limit - current - cost;
        if (room >= 0 && previous > 0) {
            double t = (1 - (double) room / previous) * w;   // when the decayed share leaves room
            return Math.max(1, (long) Math.ceil(t - intoWindow));
        }
        long toEnd = w - intoWindow;
        // next window: the current count becomes the previous one, decaying from its start
        long room2 = limit - cost;
        if (current <= room2) return Math.max(1, toEnd);
        double t = (1 - (double) room2 / current) * w;
        return Math.max(1, toEnd + (long) Math.ceil(t));
    }
}
