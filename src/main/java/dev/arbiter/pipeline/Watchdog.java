package dev.arbiter.pipeline;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an action when a deadline passes unless it was disarmed first, and runs periodic checks every
 * {@link #TICK_MILLIS}. Every upstream call arms one deadline and almost always disarms it a few milliseconds later.
 *
 * <p>Written by hand because the JDK's {@code ScheduledThreadPoolExecutor} (and a virtual thread's timed park)
 * signals its timer thread whenever a new task becomes the earliest, which on an idle-to-moderate gateway is
 * nearly every call: a thread wake-up per request, the costliest thing a request does on a virtualised two-core
 * machine. Here arming and disarming are one concurrent-set operation each. The thread sleeps until the earliest
 * deadline it saw on its last sweep ({@code wakeAt}), at most {@link #IDLE_MILLIS} ahead, and an {@link #arm} signals
 * it only when the new deadline falls before that: request deadlines are seconds long and nearly all disarmed long
 * before they are due, so an armed gateway's watchdog wakes about once a second, not a hundred times (it used to
 * sweep every tick while anything was armed, half a wake-up per request at 200 requests/s, measured with
 * bench/run.sh --threads). Checks ({@link #every}) need the tick: while any is registered the thread sweeps
 * every {@link #TICK_MILLIS}. After {@link #IDLE_SWEEPS} sweeps with nothing armed it parks until the next
 * {@link #arm} or {@link #every}.
 *
 * <p>Signalling is a Dekker handshake on two volatiles: the thread publishes {@code wakeAt} and then looks at the
 * set once more; a caller adds to the set and then reads {@code wakeAt}. Either the thread sees the new entry, or
 * the caller sees a {@code wakeAt} later than its deadline and unparks the thread (an unpark before the park only
 * makes the park return at once).
 *
 * <p>One watchdog belongs to one gateway, which closes it (its thread ends). Time comes from the injected nano clock;
 * the thread's parks are real time, so with a fake clock a test advances the clock and then {@link #nudge}s it.
 */
public final class Watchdog implements AutoCloseable {
    static final long TICK_MILLIS = 10;
    /** Longest sleep while deadlines are armed: a bound on how long a stale {@code wakeAt} can delay a new deadline. */
    static final long IDLE_MILLIS = 1000;
    static final int IDLE_SWEEPS = 2;
    private static final long NEVER = Long.MAX_VALUE;
    private static final Logger log = LoggerFactory.getLogger(Watchdog.class);

    private final Set<Armed> armed = ConcurrentHashMap.newKeySet();
    private final Set<Armed> checks = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private final LongSupplier nanos;
    private volatile boolean closed;
    /**
     * The clock value at which the thread will next sweep by itself, {@link #NEVER} when it is parked for
     * good; written by the thread before its last look at the sets, see {@link #wake}.
     */
    private volatile long wakeAt = NEVER;

    /**
     * Starts a watchdog whose thread is called {@code name}; {@code nanos} is the gateway's monotonic clock (the one
     * its {@link Deadline}s read).
     */
    public Watchdog(String name, LongSupplier nanos) {
        this.nanos = nanos;
        thread = new Thread(this::sweep, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Runs {@code action} once {@code deadline} has passed, unless the returned handle is closed before. */
    public Armed arm(Deadline deadline, Runnable action) {
        return arm(deadline.remaining(), action);
    }

    /** Runs {@code action} once {@code after} has passed on this watchdog's clock, unless the handle is closed before. */
    public Armed arm(Duration after, Runnable action) {
        Armed a = new Armed(this, armed, nanos.getAsLong() + Math.max(0, after.toNanos()), action);
        armed.add(a);
        wake(a.due);
        return a;
    }

    /** The watchdog's clock, in nanoseconds. */
    public long nanoTime() {
        return nanos.getAsLong();
    }

    /**
     * Runs {@code check} on the watchdog's thread every tick until the returned handle is closed. The check must
     * be quick and must not block (hand anything slow, such as a socket write, to a virtual thread).
     */
    public Armed every(Runnable check) {
        Armed a = new Armed(this, checks, 0, check);
        checks.add(a);
        wake(nanos.getAsLong());
        return a;
    }

    /** Unparks the thread if it would otherwise sweep after {@code due}. */
    private void wake(long due) {
        if (before(due, wakeAt)) LockSupport.unpark(thread);
    }

    /** Makes the thread sweep now, as if its sleep had ended: for tests that move a fake clock. */
    void nudge() {
        LockSupport.unpark(thread);
    }

    /** Stops the thread; armed actions and checks are dropped without running. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        armed.clear();
        checks.clear();
    }

    /** Whether the thread has ended after {@link #close} (for tests). */
    boolean stopped() {
        return !thread.isAlive();
    }

    /** Whether the thread is parked for good, waiting for the next {@link #arm} or {@link #every} (for tests). */
    boolean asleep() {
        return wakeAt == NEVER;
    }

    private void sweep() {
        int idle = 0;
        long next = nanos.getAsLong();
        while (!closed) {
            // publish when the thread will look next, then look once more before parking (the handshake above)
            wakeAt = next;
            long first = earliest(nanos.getAsLong());
            long now = nanos.getAsLong();
            if (before(first, next)) {
                next = first;
                continue;
            }
            if (closed) break;
            if (next == NEVER) LockSupport.park(this);
            else if (next - now > 0) LockSupport.parkNanos(this, next - now);
            if (closed) break;
            now = nanos.getAsLong();
            wakeAt = now;   // awake: callers need not unpark it
            for (Armed c : checks) run(c);
            for (Armed a : armed) {
                if (now - a.due >= 0 && armed.remove(a)) {
                    a.fired = true;
                    run(a);
                }
            }
            now = nanos.getAsLong();
            idle = armed.isEmpty() && checks.isEmpty() ? idle + 1 : 0;
            long cap = now + TimeUnit.MILLISECONDS.toNanos(IDLE_MILLIS), due = earliest(now);
            if (idle >= IDLE_SWEEPS) {
                next = NEVER;
                idle = 0;
            } else {
                next = before(due, cap) ? due : cap;
            }
        }
    }

    /** Whether {@code a} comes before {@code b}, both clock values or {@link #NEVER}. */
    private static boolean before(long a, long b) {
        return a != NEVER && (b == NEVER || a - b < 0);
    }

    /** When the next sweep is due, judged from the sets alone: the next tick with checks, else the earliest deadline. */
    private long earliest(long now) {
        if (!checks.isEmpty()) return now + TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);
        long first = NEVER;
        for (Armed a : armed) {
            long due = a.due;
            if (first == NEVER || due - first < 0) first = due;
        }
        return first;
    }

    private static void run(Armed a) {
        try {
            a.action.run();
        } catch (RuntimeException | Error e) {
            log.warn("watchdog action failed: {}", e.toString());
        }
    }

    /**
     * An armed deadline or check; closing it disarms it (a no-op once a deadline fired). Identity equality. A deadline
     * can be {@linkplain #postpone postponed}, so a stream re-arms one entry per read instead of arming a new one.
     */
    public static final class Armed implements AutoCloseable {
        private final Watchdog watchdog;
        private final Set<Armed> owner;
        private volatile long due;
        private volatile boolean fired;
        private final Runnable action;

        private Armed(Watchdog watchdog, Set<Armed> owner, long due, Runnable action) {
            this.watchdog = watchdog;
            this.owner = owner;
            this.due = due;
            this.action = action;
        }

        /**
         * Moves the deadline to {@code after} from now on the watchdog's clock, if that is later than it is (one volatile
         * write: a later deadline never needs the thread woken; it finds the entry not yet due and sleeps again).
         */
        public void postpone(Duration after) {
            long at = watchdog.nanos.getAsLong() + Math.max(0, after.toNanos());
            if (at - due > 0) due = at;
        }

        /** Whether the deadline passed and the action ran (or is running): set before the action starts. */
        public boolean fired() {
            return fired;
        }

        @Override
        public void close() {
            owner.remove(this);
        }
    }
}
