package dev.arbiter.limit;

import dev.arbiter.auth.Priority;
import dev.arbiter.error.ArbiterException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded in-flight limit with a bounded wait queue, served by priority class with weighted fair scheduling.
 *
 * <p>At most {@code maxInFlight} permits are out; at most {@code maxQueued} callers wait, each for at most
 * {@code queueTimeout} (and its own deadline). A released permit goes straight to a waiter (never back to the pool
 * while anyone waits, so a newcomer cannot overtake the queue). Which waiter: stride scheduling over the four classes
 * (Waldspurger and Weihl, 1995), weights critical 8, high 4, normal 2, low 1: each class has a pass value, the
 * non-empty class with the lowest pass is served and its pass grows by 1/weight, so under saturation the classes
 * share the slots 8:4:2:1 and no class starves; a class that was idle rejoins at the current pass, not with credit
 * saved up. Within a class, first come first served. When the queue is full, a newcomer displaces the newest waiter
 * of the lowest class below its own (low is shed first); with none below it, the newcomer is shed. Shedding is 503
 * with Retry-After, at once. Resilience4j's bulkhead has neither the bounded queue nor the classes, so this is
 * written here; one lock guards the queues and the count, which is held only for a few field updates.
 *
 * <p>Invariant: {@code available > 0} only while no one waits.
 */
public final class ConcurrencyLimiter {
    private static final int[] WEIGHTS = {8, 4, 2, 1};
    private static final Priority[] CLASSES = Priority.values();

    private final String name;
    private final int maxInFlight;
    private final int maxQueued;
    private final Duration queueTimeout;
    private final ReentrantLock lock = new ReentrantLock();
    @SuppressWarnings("unchecked")
    private final ArrayDeque<Waiter>[] queues = new ArrayDeque[CLASSES.length];
    private final double[] pass = new double[CLASSES.length];
    private double now;
    private int available;
    private int queued;

    private final class Waiter {
        final Priority priority;
        final Condition ready = lock.newCondition();
        boolean granted;
        boolean displaced;

        Waiter(Priority priority) {
            this.priority = priority;
        }
    }

    public ConcurrencyLimiter(String name, int maxInFlight, int maxQueued, Duration queueTimeout) {
        if (maxInFlight < 1) throw new IllegalArgumentException("maxInFlight: " + maxInFlight + " (expected: >= 1)");
        if (maxQueued < 0) throw new IllegalArgumentException("maxQueued: " + maxQueued + " (expected: >= 0)");
        this.name = name;
        this.maxInFlight = maxInFlight;
        this.maxQueued = maxQueued;
        this.queueTimeout = queueTimeout;
        this.available = maxInFlight;
        for (int i = 0; i < queues.length; i++) queues[i] = new ArrayDeque<>();
    }

    /** {@link #acquire(Duration, Priority)} at normal priority. */
    public Permit acquire(Duration maxWait) {
        return acquire(maxWait, Priority.NORMAL);
    }

    /**
     * Takes a permit, waiting at most the shorter of the queue timeout and {@code maxWait}.
     *
     * @return a permit to close exactly once when the work is done
     * @throws ArbiterException.Overloaded when shed
     */
    public Permit acquire(Duration maxWait, Priority priority) {
        Waiter w;
        lock.lock();
        try {
            if (available > 0) {
                available--;
                return new Permit(this);
            }
            if (queued >= maxQueued && !displaceBelow(priority)) throw shed("queue full");
            w = new Waiter(priority);
            int c = priority.ordinal();
            if (queues[c].isEmpty()) pass[c] = Math.max(pass[c], now);   // an idle class rejoins without saved credit
            queues[c].addLast(w);
            queued++;
            long nanos = Math.max(0, Math.min(maxWait.toNanos(), queueTimeout.toNanos()));
            try {
                while (!w.granted && !w.displaced && nanos > 0) nanos = w.ready.awaitNanos(nanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (w.granted) return new Permit(this);
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

    private void release() {
        lock.lock();
        try {
            int next = -1;
            for (int c = 0; c < CLASSES.length; c++) {
                if (!queues[c].isEmpty() && (next < 0 || pass[c] < pass[next])) next = c;
            }
            if (next < 0) {
                available++;
                return;
            }
            now = pass[next];
            pass[next] += 1.0 / WEIGHTS[next];
            Waiter w = queues[next].pollFirst();
            queued--;
            w.granted = true;
            w.ready.signal();
        } finally {
            lock.unlock();
        }
    }

    private ArbiterException.Overloaded shed(String why) {
        return new ArbiterException.Overloaded(name + " is at capacity (" + maxInFlight + " in flight, " + why
                + "); retry later", Duration.ofSeconds(1), false);
    }

    public int inFlight() {
        lock.lock();
        try {
            return maxInFlight - available;
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

    /** A held slot; closing it more than once has no further effect. */
    public static final class Permit implements AutoCloseable {
        private final ConcurrencyLimiter owner;
        private final AtomicBoolean released = new AtomicBoolean();

        private Permit(ConcurrencyLimiter owner) {
            this.owner = owner;
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) owner.release();
        }
    }
}
