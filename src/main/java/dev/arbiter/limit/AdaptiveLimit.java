package dev.arbiter.limit;

import com.netflix.concurrency.limits.limit.AIMDLimit;
import com.netflix.concurrency.limits.limit.Gradient2Limit;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A concurrency limit that follows an upstream: the lower of two of Netflix's concurrency-limits algorithms, fed by
 * the attempts to one deployment, moving that deployment's {@link ConcurrencyLimiter}.
 *
 * <ul>
 *   <li>Latency: Gradient2 ({@link Gradient2Limit}) over the time to the answer's head (a stream's first event).
 *       It compares each sample with a long exponential average of the latency and shrinks the limit when the
 *       latency rises above 1.5 times that average, growing it by a small queue allowance while latency holds.
 *       Chosen over Vegas because Vegas measures queueing against the minimum latency ever seen, and an LLM's
 *       latency varies by an order of magnitude with the prompt and the answer's length: the shortest answer would
 *       set a floor every longer one looks queued against, and the limit would collapse. Gradient2 uses averages
 *       and a tolerance for exactly such bursty, non-homogeneous calls. Samples are counted only while the
 *       deployment is busy (at least half the limit in flight), so an idle deployment keeps its limit.
 *   <li>Load refusals: AIMD ({@link AIMDLimit}): each 429 (or 503, 529, or an upstream timeout) multiplies the
 *       limit by {@code backoff}, each answered call adds one while the deployment is busy. Arbiter so backs off
 *       as soon as the provider starts refusing, before it has to refuse everything, and comes back one step at a
 *       time.
 * </ul>
 *
 * Both run on every sample; the limit in force is the lower, within {@code [min, max]}. The Netflix classes are
 * synchronized per instance and call back on change, which sets the limiter's limit.
 */
public final class AdaptiveLimit {
    /** A drop is what the attempt step reports; no latency alone counts as one here (LLM answers may take minutes). */
    private static final long NO_TIMEOUT_DAYS = 365;

    private final ConcurrencyConfig config;
    private final int min;
    private final Gradient2Limit latency;
    private final AIMDLimit refusals;
    private final ConcurrencyLimiter limiter;

    private AdaptiveLimit(ConcurrencyConfig config, int max, ConcurrencyLimiter limiter) {
        this.config = config;
        this.limiter = limiter;
        int initial = Math.min(config.initial(), max);
        this.min = Math.min(config.min(), max);
        this.latency = Gradient2Limit.newBuilder().initialLimit(initial).minLimit(min).maxConcurrency(max).build();
        this.refusals = AIMDLimit.newBuilder().initialLimit(initial).minLimit(min).maxLimit(max).backoffRatio(config.backoff())
                .timeout(NO_TIMEOUT_DAYS, TimeUnit.DAYS).build();
        latency.notifyOnChange(l -> limiter.limit(limit()));
        refusals.notifyOnChange(l -> limiter.limit(limit()));
    }

    /**
     * An adaptive limit moving a new limiter, which it returns.
     *
     * @param cap a fixed ceiling besides {@code config.max()} (the deployment's {@code max-in-flight}); 0 for none
     */
    public static ConcurrencyLimiter limiter(String name, ConcurrencyConfig config, int cap, Duration[] queueTimeouts,
                                             java.util.function.LongSupplier nanos) {
        int max = cap > 0 ? Math.min(cap, config.max()) : config.max();
        var limiter = new ConcurrencyLimiter(name, Math.min(config.initial(), max), config.maxQueued(), queueTimeouts, nanos);
        limiter.adaptTo(new AdaptiveLimit(config, max, limiter));
        return limiter;
    }

    void sample(long startNanos, long rttNanos, int inFlight, boolean dropped) {
        if (dropped) {
            refusals.onSample(startNanos, rttNanos, inFlight, true);
        } else {
            latency.onSample(startNanos, rttNanos, inFlight, false);
            refusals.onSample(startNanos, rttNanos, inFlight, false);
        }
    }

    /** The limit in force: the lower of the latency's and the refusals'. */
    public int limit() {
        return Math.max(min, Math.min(latency.getLimit(), refusals.getLimit()));
    }

    /** The limit the latency alone would set. */
    public int latencyLimit() {
        return latency.getLimit();
    }

    /** The limit the upstream's refusals alone would set. */
    public int refusalLimit() {
        return refusals.getLimit();
    }

    public ConcurrencyConfig config() {
        return config;
    }

    /** The limiter this moves. */
    ConcurrencyLimiter limiter() {
        return limiter;
    }
}
