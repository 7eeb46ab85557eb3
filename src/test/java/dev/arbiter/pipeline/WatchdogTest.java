package dev.arbiter.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The watchdog fires an armed action once, after (never before) its deadline; never fires a disarmed one; keeps
 * sweeping after an action throws; and leaves nothing behind when many entries are armed and disarmed.
 *
 * <p>"Never fires" is checked without guessing a sleep: a sentinel armed later than the entries under test is
 * awaited, and the sweep that fires it has already passed over every earlier deadline.
 */
class WatchdogTest {
    /** One instance for the class, shared by the tests that run on the real clock. */
    private static final Watchdog WATCHDOG = new Watchdog("watchdog-test", System::nanoTime);
    private static final long WAIT_SECONDS = 5;

    private static Deadline in(long millis) {
        return Deadline.after(Duration.ofMillis(millis), System::nanoTime);
    }

    /** Arms an action due after {@code millis} and returns a latch counted down when it runs. */
    private static CountDownLatch sentinel(long millis) {
        var fired = new CountDownLatch(1);
        WATCHDOG.arm(in(millis), fired::countDown);
        return fired;
    }

    @Test
    void armedAction_runsOnceAfterItsDeadline() throws Exception {
        Deadline deadline = in(50);
        var runs = new AtomicInteger();
        var firedAt = new AtomicLong();
        var fired = new CountDownLatch(1);
        var handle = WATCHDOG.arm(deadline, () -> {
            firedAt.set(System.nanoTime());
            runs.incrementAndGet();
            fired.countDown();
        });

        assertThat(fired.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("armed action ran").isTrue();
        assertThat(firedAt.get() - deadline.atNanos()).as("ran no earlier than its deadline").isNotNegative();

        // several more sweeps pass over where the entry was: it must not run again
        assertThat(sentinel(5 * Watchdog.TICK_MILLIS).await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(runs.get()).isEqualTo(1);
        handle.close();   // closing after it fired is a harmless no-op
        assertThat(runs.get()).isEqualTo(1);
    }

    @Test
    void idleWatchdog_sleeps_andWakesForTheNextArmOrCheck() throws Exception {
        try (var idle = new Watchdog("watchdog-idle-test", System::nanoTime)) {
            idleThenWoken(idle);
        }
    }

    private static void idleThenWoken(Watchdog idle) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!idle.asleep() && System.nanoTime() < until) Thread.sleep(20);
        assertThat(idle.asleep()).as("asleep after idle sweeps with nothing armed").isTrue();

        var fired = new CountDownLatch(1);
        idle.arm(in(30), fired::countDown);
        assertThat(fired.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("an arm wakes it").isTrue();

        while (!idle.asleep() && System.nanoTime() < until + TimeUnit.SECONDS.toNanos(WAIT_SECONDS)) Thread.sleep(20);
        assertThat(idle.asleep()).as("asleep again").isTrue();
        var checked = new CountDownLatch(3);
        try (var check = idle.every(checked::countDown)) {
            assertThat(checked.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("a check wakes it and runs every tick").isTrue();
        }
    }

    @Test
    void earlierDeadline_wakesAWatchdogSleepingUntilALaterOne() throws Exception {
        try (var own = new Watchdog("watchdog-earlier-test", System::nanoTime)) {
            earlierWakes(own);
        }
    }

    private static void earlierWakes(Watchdog own) throws Exception {
        var late = own.arm(in(60_000), () -> {});
        Thread.sleep(50);   // the thread now sleeps until its idle bound, a second away, not the minute
        var fired = new CountDownLatch(1);
        long armedAt = System.nanoTime();
        own.arm(in(20), fired::countDown);
        assertThat(fired.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - armedAt)).as("fired near its deadline, not at the next idle sweep")
                .isLessThan(Watchdog.IDLE_MILLIS / 2);
        late.close();
    }

    @Test
    void deadlineAlreadyPassed_runsOnTheNextSweep() throws Exception {
        var fired = new CountDownLatch(1);
        WATCHDOG.arm(in(-1_000), fired::countDown);
        assertThat(fired.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void disarmedAction_neverRuns() throws Exception {
        var runs = new AtomicInteger();
        var handle = WATCHDOG.arm(in(20), runs::incrementAndGet);
        handle.close();
        // well past the closed entry's deadline: ten times its duration, many sweeps
        assertThat(sentinel(200).await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(runs.get()).isZero();
    }

    @Test
    void throwingAction_doesNotStopOtherActions() throws Exception {
        var ran = new CountDownLatch(4);
        // due in the same sweep as the failures, and in later sweeps
        WATCHDOG.arm(in(20), () -> {
            ran.countDown();
            throw new IllegalStateException("deliberate failure in a deadline action");
        });
        WATCHDOG.arm(in(20), () -> {
            ran.countDown();
            throw new AssertionError("deliberate Error in a deadline action");
        });
        WATCHDOG.arm(in(20), ran::countDown);
        WATCHDOG.arm(in(20 + 5 * Watchdog.TICK_MILLIS), ran::countDown);
        assertThat(ran.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("every action ran").isTrue();

        // and the sweeping thread is still alive for actions armed after the failures
        assertThat(sentinel(20).await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void manyArmedThenClosed_leaveNothingToFire() throws Exception {
        var runs = new AtomicInteger();
        // armed and closed from many virtual threads at once, as request threads do, while the sweeper runs
        try (ExecutorService vts = Executors.newVirtualThreadPerTaskExecutor()) {
            var done = new ArrayList<java.util.concurrent.Future<?>>();
            for (int t = 0; t < 100; t++) {
                done.add(vts.submit(() -> {
                    List<Watchdog.Armed> mine = new ArrayList<>(100);
                    for (int i = 0; i < 100; i++) mine.add(WATCHDOG.arm(in(30), runs::incrementAndGet));
                    for (Watchdog.Armed a : mine) a.close();
                }));
            }
            for (var f : done) f.get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
        // and 10,000 more on this thread, each closed at once (the usual request pattern)
        for (int i = 0; i < 10_000; i++) WATCHDOG.arm(in(30), runs::incrementAndGet).close();

        assertThat(sentinel(300).await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(runs.get()).as("closed entries that fired").isZero();
    }

    /** Arms an action due now on {@code w}'s clock: once it ran, the sweep has passed over every entry. */
    private static boolean swept(Watchdog w) throws InterruptedException {
        var fired = new CountDownLatch(1);
        w.arm(Duration.ZERO, fired::countDown);
        return fired.await(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void fakeClock_firesWhenTheClockPassesTheDeadline_notBefore() throws Exception {
        var clock = new AtomicLong(1_000);
        try (var w = new Watchdog("watchdog-fake-clock-test", clock::get)) {
            var fired = new CountDownLatch(1);
            w.arm(Deadline.after(Duration.ofSeconds(10), clock::get), fired::countDown);
            clock.addAndGet(Duration.ofSeconds(9).toNanos());
            assertThat(swept(w)).isTrue();
            assertThat(fired.getCount()).as("not due at 9 s of 10").isEqualTo(1);

            clock.addAndGet(Duration.ofSeconds(1).toNanos());
            w.nudge();
            assertThat(fired.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("due at 10 s").isTrue();
        }
    }

    @Test
    void postpone_movesTheDeadlineLater_neverEarlier() throws Exception {
        var clock = new AtomicLong(-5_000);   // the clock may be negative, as System.nanoTime() may
        try (var w = new Watchdog("watchdog-postpone-test", clock::get)) {
            var fired = new CountDownLatch(1);
            var armed = w.arm(Duration.ofSeconds(5), fired::countDown);
            clock.addAndGet(Duration.ofSeconds(4).toNanos());
            armed.postpone(Duration.ofSeconds(5));   // now due at 9 s
            armed.postpone(Duration.ofSeconds(1));   // earlier than that: ignored
            clock.addAndGet(Duration.ofSeconds(2).toNanos());
            assertThat(swept(w)).isTrue();
            assertThat(fired.getCount()).as("not due at 6 s: postponed to 9 s").isEqualTo(1);

            clock.addAndGet(Duration.ofSeconds(3).toNanos());
            w.nudge();
            assertThat(fired.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void close_endsTheThread() throws Exception {
        var w = new Watchdog("watchdog-close-test", System::nanoTime);
        w.arm(Duration.ofMinutes(1), () -> {});
        w.close();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!w.stopped() && System.nanoTime() < until) Thread.sleep(10);
        assertThat(w.stopped()).isTrue();
    }
}
