package dev.arbiter.limit;

import dev.arbiter.error.ArbiterException;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded in-flight limit with a bounded wait queue.
 *
 * <p>At most {@code maxInFlight} permits are out; at most {@code maxQueued} callers wait, each for at most
 * {@code queueTimeout}; a caller beyond the queue is shed at once. Resilience4j's semaphore bulkhead has the
 * wait timeout but no bound on the number of waiters, and an unbounded queue of virtual threads is exactly the
 * unbounded buffering this limit exists to prevent, so the queue count is kept here beside a fair
 * {@link Semaphore}. Invariant: {@code waiting} counts the callers inside {@code tryAcquire}; it is
 * incremented before and decremented after, so it can only over-count for an instant, shedding early, never
 * admitting more than the bound.
 */
public final class ConcurrencyLimiter {
    private final String name;
    private final int maxInFlight;
    private final int maxQueued;
    private final Duration queueTimeout;
    private final Semaphore permits;
    private final AtomicInteger waiting = new AtomicInteger();

    public ConcurrencyLimiter(String name, int maxInFlight, int maxQueued, Duration queueTimeout) {
        if (maxInFlight < 1) throw new IllegalArgumentException("maxInFlight: " + maxInFlight + " (expected: >= 1)");
        if (maxQueued < 0) throw new IllegalArgumentException("maxQueued: " + maxQueued + " (expected: >= 0)");
        this.name = name;
        this.maxInFlight = maxInFlight;
        this.maxQueued = maxQueued;
        this.queueTimeout = queueTimeout;
        this.permits = new Semaphore(maxInFlight, true);
    }

    /**
     * Takes a permit, waiting at most the shorter of the queue timeout and {@code maxWait}.
     *
     * @return a permit to close exactly once when the work is done
     * @throws ArbiterException.Overloaded when shed
     */
    public Permit acquire(Duration maxWait) {
        if (permits.tryAcquire()) return new Permit(this);
        if (waiting.incrementAndGet() > maxQueued) {
            waiting.decrementAndGet();
            throw shed("queue full");
        }
        try {
            Duration wait = maxWait.compareTo(queueTimeout) < 0 ? maxWait : queueTimeout;
            if (!wait.isNegative() && permits.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS)) return new Permit(this);
            throw shed("timed out waiting for a slot");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw shed("interrupted while waiting");
        } finally {
            waiting.decrementAndGet();
        }
    }

    private ArbiterException.Overloaded shed(String why) {
        return new ArbiterException.Overloaded(name + " is at capacity (" + maxInFlight + " in flight, " + why
                + "); retry later", Duration.ofSeconds(1), false);
    }

    public int inFlight() {
        return maxInFlight - permits.availablePermits();
    }

    public int waiting() {
        return waiting.get();
    }

    public String name() {
        return name;
    }

    /** A held slot; closing it more than once has no further effect. */
    public static final class Permit implements AutoCloseable {
        private final ConcurrencyLimiter owner;
        private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();

        private Permit(ConcurrencyLimiter owner) {
            this.owner = owner;
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) owner.permits.release();
        }
    }
}
