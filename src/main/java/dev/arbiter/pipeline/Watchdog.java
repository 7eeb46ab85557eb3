package dev.arbiter.pipeline;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an action when a deadline passes unless it was disarmed first, with a resolution of {@link #TICK_MILLIS}.
 * Every upstream call arms one and almost always disarms it a few milliseconds later.
 *
 * <p>Written by hand because the JDK's {@code ScheduledThreadPoolExecutor} (and a virtual thread's timed park)
 * signals its timer thread whenever a new task becomes the earliest, which on an idle-to-moderate gateway is
 * nearly every call: a thread wake-up per request, the costliest thing a request does on a virtualised two-core
 * machine. Here arming and disarming are one concurrent-set operation each, and one daemon thread sweeps the set
 * every tick without being signalled; request deadlines are seconds long, so ten milliseconds of lateness is
 * nothing. After {@link #IDLE_SWEEPS} sweeps with nothing armed (a second) the thread parks until the next
 * {@link #arm} or {@link #every}, so an idle gateway does not wake a hundred times a second; only the first call
 * after an idle second pays a wake-up.
 */
public final class Watchdog {
    static final long TICK_MILLIS = 10;
    static final int IDLE_SWEEPS = 100;
    private static final Logger log = LoggerFactory.getLogger(Watchdog.class);
    private static final Watchdog SHARED = new Watchdog("arbiter-watchdog");

    private final Set<Armed> armed = ConcurrentHashMap.newKeySet();
    private final Set<Armed> checks = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    /** Set by the thread before its last look at the sets when it is about to park for good; see {@link #wake}. */
    private volatile boolean sleeping;

    Watchdog(String name) {
        thread = new Thread(this::sweep, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** The watchdog shared by the whole process. */
    public static Watchdog shared() {
        return SHARED;
    }

    /** Runs {@code action} once {@code deadline} has passed, unless the returned handle is closed before. */
    public Armed arm(Deadline deadline, Runnable action) {
        Armed a = new Armed(armed, System.nanoTime() + Math.max(0, deadline.remaining().toNanos()), action);
        armed.add(a);
        wake();
        return a;
    }

    /**
     * Runs {@code check} on the watchdog's thread every tick until the returned handle is closed. The check must
     * be quick and must not block (hand anything slow, such as a socket write, to a virtual thread).
     */
    public Armed every(Runnable check) {
        Armed a = new Armed(checks, 0, check);
        checks.add(a);
        wake();
        return a;
    }

    /**
     * Unparks a sleeping thread. The thread sets {@code sleeping} and then looks at both sets once more before it
     * parks, and a caller adds to a set before it reads {@code sleeping}: either the thread sees the new entry, or
     * the caller sees it sleeping (an unpark before the park only makes the park return at once).
     */
    private void wake() {
        if (sleeping) {
            sleeping = false;
            LockSupport.unpark(thread);
        }
    }

    /** Whether the thread is parked for good, waiting for the next {@link #arm} or {@link #every} (for tests). */
    boolean asleep() {
        return sleeping;
    }

    private void sweep() {
        int idle = 0;
        while (true) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS));
            if (armed.isEmpty() && checks.isEmpty()) {
                if (++idle >= IDLE_SWEEPS) {
                    sleeping = true;
                    while (sleeping && armed.isEmpty() && checks.isEmpty()) LockSupport.park(this);
                    sleeping = false;
                    idle = 0;
                }
                continue;
            }
            idle = 0;
            for (Armed c : checks) run(c);
            if (armed.isEmpty()) continue;
            long now = System.nanoTime();
            for (Armed a : armed) {
                if (now - a.due >= 0 && armed.remove(a)) run(a);
            }
        }
    }

    private static void run(Armed a) {
        try {
            a.action.run();
        } catch (RuntimeException | Error e) {
            log.warn("watchdog action failed: {}", e.toString());
        }
    }

    /** An armed deadline or check; closing it disarms it (a no-op once a deadline fired). Identity equality. */
    public static final class Armed implements AutoCloseable {
        private final Set<Armed> owner;
        private final long due;
        private final Runnable action;

        private Armed(Set<Armed> owner, long due, Runnable action) {
            this.owner = owner;
            this.due = due;
            this.action = action;
        }

        @Override
        public void close() {
            owner.remove(this);
        }
    }
}
