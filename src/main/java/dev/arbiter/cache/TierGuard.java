package dev.arbiter.cache;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps a slow or broken tier from failing or stalling a request. Each call runs on a virtual thread of its own and
 * is waited for at most the tier's budget; a call past it is abandoned (left to end on its own: interrupting a JDBC
 * call breaks its pooled connection) and counts as a failure, as does one that throws. A Resilience4j circuit breaker per tier counts them: once half of the last ten calls failed
 * (at least three made), the tier is bypassed (calls return empty at once) for {@code recovery}, then one trial call
 * decides. At most {@link #MAX_IN_FLIGHT} calls wait on a tier at once; more skip it, so a hung tier cannot pile up
 * threads while its breaker has not opened yet.
 */
final class TierGuard implements AutoCloseable {
    private static final int MAX_IN_FLIGHT = 32;

    private final Tier tier;
    private final CircuitBreaker breaker;
    private final ExecutorService threads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("arbiter-cache-tier-", 0).factory());
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();

    TierGuard(Tier tier, Duration recovery) {
        this(tier.name(), tier, recovery);
    }

    /** A guard for calls that are not a {@link Tier}'s (the stored responses'); {@link #tier()} is then null. */
    TierGuard(String name, Duration recovery) {
        this(name, null, recovery);
    }

    private TierGuard(String name, Tier tier, Duration recovery) {
        this.tier = tier;
        this.breaker = CircuitBreaker.of("cache-" + name, CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(10)
                .minimumNumberOfCalls(3)
                .failureRateThreshold(50)
                .waitDurationInOpenState(recovery)
                .permittedNumberOfCallsInHalfOpenState(1)
                .build());
    }

    Tier tier() {
        return tier;
    }

    /** The call's result, or empty when the tier was bypassed, failed or took longer than {@code budget}. */
    <T> Optional<T> call(Callable<T> call, Duration budget) {
        if (!breaker.tryAcquirePermission()) {
            skipped.incrementAndGet();
            return Optional.empty();
        }
        if (!inFlight.tryAcquire()) {
            breaker.releasePermission();
            skipped.incrementAndGet();
            return Optional.empty();
        }
        long start = System.nanoTime();
        Future<T> f;
        try {
            f = threads.submit(() -> {
                try {
                    return call.call();
                } finally {
                    inFlight.release();
                }
            });
        } catch (RuntimeException e) {   // the guard was closed
            inFlight.release();
            breaker.releasePermission();
            return Optional.empty();
        }
        try {
            T v = f.get(budget.toNanos(), TimeUnit.NANOSECONDS);
            breaker.onSuccess(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            return Optional.ofNullable(v);
        } catch (InterruptedException e) {
            breaker.releasePermission();
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (Exception e) {
            failures.incrementAndGet();
            breaker.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, e);
            return Optional.empty();
        }
    }

    /** {@code closed} (serving), {@code open} (bypassed until it recovers) or {@code half_open} (on trial). */
    String state() {
        return breaker.getState().name().toLowerCase(java.util.Locale.ROOT);
    }

    long failures() {
        return failures.get();
    }

    long skipped() {
        return skipped.get();
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
