package dev.arbiter.limit;

import dev.arbiter.auth.Priority;
import dev.arbiter.error.ArbiterException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * An in-flight limit with a bounded wait queue, served by priority class with weighted fair scheduling.
 *
 * <p>At most {@link #limit()} permits are out; at most {@code maxQueued} callers wait, each for at most its class's
 * queue timeout (and its own deadline). The limit is fixed unless an {@link AdaptiveLimit} moves it ({@link #limit(int)}):
 * raised, waiters are granted at once; lowered below the permits out, nobody is granted until enough are released
 * (permits are never taken back). A released permit goes straight to a waiter (never back to the pool while anyone
 * waits, so a newcomer cannot overtake the queue). Which waiter: stride scheduling over the four classes (Waldspurger
 * and Weihl, 1995), weights critical 8, high 4, normal 2, low 1: each class has a pass value, the non-empty class
 * with the lowest pass is served and its pass grows by 1/weight, so under saturation the classes share the slots
 * 8:4:2:1 and no class starves; a class that was idle rejoins at the current pass, not with credit saved up. Within
 * a class, first come first served. When the queue is full, a newcomer displaces the newest waiter of the lowest
 * class below its own (low is shed first); with none below it, the newcomer is shed. Shedding is 503 with
 * Retry-After, at once. Resilience4j's bulkhead has neither the bounded queue nor the classes, and Netflix's
 * limiters neither the classes nor a limit moved from outside, so this is written here; one lock guards the queues
 * and the counts, which is held only for a few field updates.
 *
 * <p>Invariant: a caller waits only while {@code inFlight >= limit}.
 */
public final class ConcurrencyLimiter {
    private static final int[] WEIGHTS = {8, 4, 2, 1};
    private static final Priority[] CLASSES = Priority.values();

    private final String name;
    private final int maxQueued;
    private final Duration[] queueTimeouts;
    private final LongSupplier nanos;
    private final ReentrantLock lock = new ReentrantLock();
    @SuppressWarnings("unchecked")
    private final ArrayDeque<Waiter>[] queues = new ArrayDeque[CLASSES.length];
    private final double[] pass = new double[CLASSES.length];
    private double now;
    private int limit;
    private int inFlight;
    private int queued;
    private volatile AdaptiveLimit adaptive;

    private final class Waiter {
        final Priority priority;
        final Condition ready = lock.newCondition();
        boolean granted;
        boolean displaced;

        Waiter(Priority priority) {
            this.priority = priority;
        }
    }

    /** Every class waits at most {@code queueTimeout}. */
    public ConcurrencyLimiter(String name, int maxInFlight, int maxQueued, Duration queueTimeout) {
        this(name, maxInFlight, maxQueued, timeouts(queueTimeout), System::nanoTime);
    }

    /**
     * @param queueTimeouts how long a waiter of each class waits at most, indexed by {@link Priority#ordinal()}
     * @param nanos the clock of the adaptive limit's samples
     */
    public ConcurrencyLimiter(String name, int maxInFlight, int maxQueued, Duration[] queueTimeouts, LongSupplier nanos) {
        if (maxInFlight < 1) throw new IllegalArgumentException("maxInFlight: " + maxInFlight + " (expected: >= 1)");
        if (maxQueued < 0) throw new IllegalArgumentException("maxQueued: " + maxQueued + " (expected: >= 0)");
        if (queueTimeouts.length != CLASSES.length) {
            throw new IllegalArgumentException("queueTimeouts: " + queueTimeouts.length + " (expected: one per class)");
        }
        this.name = name;
        this.maxQueued = maxQueued;
        this.queueTimeouts = queueTimeouts.clone();
        this.nanos = nanos;
        this.limit = maxInFlight;
        for (int i = 0; i < queues.length; i++) queues[i] = new ArrayDeque<>();
    }

    /** One timeout for every class. */
    public static Duration[] timeouts(Duration all) {
        Duration[] out = new Duration[CLASSES.length];
        Arrays.fill(out, all);
        return out;
    }

    /** Lets {@code a} move this limit from now on (its current limit applies at once). */
    void adaptTo(AdaptiveLimit a) {
        this.adaptive = a;
        limit(a.limit());
    }

    /** The adaptive limit moving this one, if any. */
    public java.util.Optional<AdaptiveLimit> adaptive() {
        return java.util.Optional.ofNullable(adaptive);
    }

    /** {@link #acquire(Duration, Priority)} at normal priority. */
    public Permit acquire(Duration maxWait) {
        return acquire(maxWait, Priority.NORMAL);
    }

    /**
     * Takes a permit, waiting at most the shorter of the class's queue timeout and {@code maxWait}.
     *
     * @return a permit to close exactly once when the work is done
     * @throws ArbiterException.Overloaded when shed
     */
    public Permit acquire(Duration maxWait, Priority priority) {
        Waiter w;
        lock.lock();
        try {
            if (inFlight < limit) {
                inFlight++;
                return new Permit(this, inFlight);
            }
            if (queued >= maxQueued && !displaceBelow(priority)) throw shed("queue full");
            w = new Waiter(priority);
            int c = priority.ordinal();
            if (queues[c].isEmpty()) pass[c] = Math.max(pass[c], now);   // an idle class rejoins without saved credit
            queues[c].addLast(w);
            queued++;
            long nanosLeft = Math.max(0, Math.min(maxWait.toNanos(), queueTimeouts[c].toNanos()));
            try {
                while (!w.granted && !w.displaced && nanosLeft > 0) nanosLeft = w.ready.awaitNanos(nanosLeft);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (w.granted) return new Permit(this, inFlight);
            if (!w.displaced) {
                queues[c].remove(w);
                queued--;
            }
            throw shed(w.displaced ? "displaced by a request of higher priority" : "timed out waiting for a slot");
        } finally {
            lock.unlock();
        }
    }

    /** Sheds the newest waiter of the lowest class below {@code p}; false when there is none. Under the lock. */
    private boolean displaceBelow(Priority p) {
        for (int c = CLASSES.length - 1; c > p.ordinal(); c--) {
            Waiter victim = queues[c].pollLast();
            if (victim != null) {
                queued--;
                victim.displaced = true;
                victim.ready.signal();
                return true;
            }
        }
        return false;
    }

    /** Grants waiters while the limit leaves room. Under the lock. */
    private void grant() {
        while (inFlight < limit && queued > 0) {
            int next = -1;
            for (int c = 0; c < CLASSES.length; c++) {
                if (!queues[c].isEmpty() && (next < 0 || pass[c] < pass[next])) next = c;
            }
            now = pass[next];
            pass[next] += 1.0 / WEIGHTS[next];
            Waiter w = queues[next].pollFirst();
            queued--;
            inFlight++;
            w.granted = true;
            w.ready.signal();
        }
    }

    private void release() {
        lock.lock();
        try {
            inFlight--;
            grant();
        } finally {
            lock.unlock();
        }
    }

    /** Sets the limit (at least 1); waiters the new limit leaves room for are granted at once. */
    public void limit(int newLimit) {
        lock.lock();
        try {
            limit = Math.max(1, newLimit);
            grant();
        } finally {
            lock.unlock();
        }
    }

    private ArbiterException.Overloaded shed(String why) {
        return new ArbiterException.Overloaded(name + " is at capacity (" + limit + " in flight, " + why + "); retry later",
                Duration.ofSeconds(1), false);
    }

    /** The permits out now. */
    public int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    /** The most permits out at once, now. */
    public int limit() {
        lock.lock();
        try {
            return limit;
        } finally {
            lock.unlock();
        }
    }

    /** Whether a newcomer would wait: every permit is out (or others wait already). */
    public boolean full() {
        lock.lock();
        try {
            return inFlight >= limit;
        } finally {
            lock.unlock();
        }
    }

    public int waiting() {
        lock.lock();
        try {
            return queued;
        } finally {
            lock.unlock();
        }
    }

    /** How many wait in one priority class. */
    public int waiting(Priority p) {
        lock.lock();
        try {
            return queues[p.ordinal()].size();
        } finally {
            lock.unlock();
        }
    }

    public String name() {
        return name;
    }

    /**
     * A held slot; closing it more than once has no further effect. Under an adaptive limit the holder reports how
     * the work went, once: {@link #answered} (the answer's head came: a latency sample), {@link #dropped} (the
     * upstream refused for load: 429, 503, 529) or nothing (a failure that says nothing of the upstream's load).
     */
    public static final class Permit implements AutoCloseable {
        private final ConcurrencyLimiter owner;
        private final long start;
        private final int inFlightAtStart;
        private final AtomicBoolean released = new AtomicBoolean();
        private final AtomicBoolean sampled = new AtomicBoolean();

        private Permit(ConcurrencyLimiter owner, int inFlightAtStart) {
            this.owner = owner;
            this.inFlightAtStart = inFlightAtStart;
            this.start = owner.adaptive == null ? 0 : owner.nanos.getAsLong();
        }

        /** The answer's head (a stream's first event) arrived: the time since the permit was granted is a sample. */
        public void answered() {
            sample(false);
        }

        /** The upstream refused the call for its load: the adaptive limit backs off. */
        public void dropped() {
            sample(true);
        }

        private void sample(boolean drop) {
            AdaptiveLimit a = owner.adaptive;
            if (a == null || !sampled.compareAndSet(false, true)) return;
            long rtt = owner.nanos.getAsLong() - start;
            a.sample(start, rtt, inFlightAtStart, drop);
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) owner.release();
        }
    }
}
