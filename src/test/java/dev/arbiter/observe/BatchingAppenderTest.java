package dev.arbiter.observe;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * A real Logback context with a {@link BatchingAppender} in front of a capturing appender: nothing is lost (from
 * many threads, at stop, or when the queue is full), per-thread order is kept, and each event carries the message
 * and MDC it had when it was logged, not when the writer thread got to it.
 */
class BatchingAppenderTest {
    private static final long WAIT_MILLIS = 20_000;

    private final LoggerContext ctx = new LoggerContext();
    private BatchingAppender batching;

    /** The child appender: keeps every event it is given; can hold the writer thread at a gate, or write slowly. */
    static final class Capture extends UnsynchronizedAppenderBase<ILoggingEvent> {
        private final List<ILoggingEvent> events = new ArrayList<>();
        private final long delayNanos;
        final CountDownLatch atGate = new CountDownLatch(1);
        final CountDownLatch openGate = new CountDownLatch(1);

        Capture(Duration delay) {
            this.delayNanos = delay.toNanos();
        }

        @Override
        protected void append(ILoggingEvent e) {
            if ("gate".equals(e.getMessage())) {
                atGate.countDown();
                try {
                    if (!openGate.await(WAIT_MILLIS, TimeUnit.MILLISECONDS)) throw new IllegalStateException("gate never opened");
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            if (delayNanos > 0) LockSupport.parkNanos(delayNanos);
            synchronized (this) {
                events.add(e);
                notifyAll();
            }
        }

        synchronized int size() {
            return events.size();
        }

        /** Waits until at least {@code n} events arrived (bounded), and returns a copy of all of them. */
        synchronized List<ILoggingEvent> await(int n) throws InterruptedException {
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
            long left;
            while (events.size() < n && (left = until - System.nanoTime()) > 0) TimeUnit.NANOSECONDS.timedWait(this, left);
            return new ArrayList<>(events);
        }

        synchronized List<ILoggingEvent> all() {
            return new ArrayList<>(events);
        }
    }

    private Logger start(int queueSize, long flushMillis, Capture child) {
        ctx.setMDCAdapter(MDC.getMDCAdapter());
        child.setContext(ctx);
        child.setName("capture");
        child.start();
        batching = new BatchingAppender();
        batching.setContext(ctx);
        batching.setName("batching");
        batching.setQueueSize(queueSize);
        batching.setFlushMillis(flushMillis);
        batching.addAppender(child);
        batching.start();
        assertThat(batching.isStarted()).isTrue();
        Logger logger = ctx.getLogger("test");
        logger.setAdditive(false);
        logger.addAppender(batching);
        return logger;
    }

    @AfterEach
    void stop() {
        if (batching != null) batching.stop();
        ctx.stop();
        MDC.clear();
    }

    /** Per thread name, the sequence numbers (MDC "seq") of its events in the order they were written. */
    private static Map<String, List<Integer>> byThread(List<ILoggingEvent> events) {
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        for (ILoggingEvent e : events) {
            out.computeIfAbsent(e.getThreadName(), k -> new ArrayList<>()).add(Integer.valueOf(e.getMDCPropertyMap().get("seq")));
        }
        return out;
    }

    private static List<Integer> upTo(int n) {
        var l = new ArrayList<Integer>(n);
        for (int i = 0; i < n; i++) l.add(i);
        return l;
    }

    @Test
    void manyThreads_everyEventArrives_inPerThreadOrder_withMessageAndMdcFromLogTime() throws Exception {
        int platform = 8, virtual = 24, perThread = 250, total = (platform + virtual) * perThread;
        var child = new Capture(Duration.ZERO);
        Logger logger = start(total + 16, 5, child);

        // hold the writer thread, so every event below is written after its thread changed its MDC and argument
        logger.info("gate");
        assertThat(child.atGate.await(WAIT_MILLIS, TimeUnit.MILLISECONDS)).isTrue();

        var threads = new ArrayList<Thread>();
        for (int t = 0; t < platform + virtual; t++) {
            String name = (t < platform ? "plat-" : "virt-") + t;
            Runnable work = () -> {
                var arg = new StringBuilder();
                for (int i = 0; i < perThread; i++) {
                    arg.setLength(0);
                    arg.append("arg-").append(i);
                    MDC.put("seq", Integer.toString(i));
                    MDC.put("who", name);
                    logger.info("{} says {} with {}", name, i, arg);
                    MDC.clear();
                    arg.setLength(0);
                    arg.append("changed after logging");
                }
                MDC.put("seq", "after");   // a later MDC value must not leak into queued events either
            };
            threads.add(t < platform ? Thread.ofPlatform().name(name).start(work) : Thread.ofVirtual().name(name).start(work));
        }
        for (Thread t : threads) assertThat(t.join(Duration.ofMillis(WAIT_MILLIS))).as(t.getName() + " finished").isTrue();
        assertThat(child.size()).as("nothing written while the writer is held").isZero();
        child.openGate.countDown();

        List<ILoggingEvent> got = child.await(total);
        assertThat(got).hasSize(total);
        for (ILoggingEvent e : got) {
            String who = e.getThreadName();
            String seq = e.getMDCPropertyMap().get("seq");
            assertThat(e.getMDCPropertyMap()).containsEntry("who", who);
            assertThat(e.getFormattedMessage()).isEqualTo(who + " says " + seq + " with arg-" + seq);
        }
        Map<String, List<Integer>> order = byThread(got);
        assertThat(order).hasSize(platform + virtual);
        order.forEach((thread, seqs) -> assertThat(seqs).as(thread).isEqualTo(upTo(perThread)));
    }

    @Test
    void idleWriter_sleeps_andTheNextEventWakesIt_stopToo() throws Exception {
        var child = new Capture(Duration.ZERO);
        Logger logger = start(16, 20, child);
        logger.info("first");
        assertThat(child.await(1)).hasSize(1);
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (!batching.asleep() && System.nanoTime() < until) Thread.sleep(20);
        assertThat(batching.asleep()).as("asleep after a second without events").isTrue();

        logger.info("second");
        assertThat(child.await(2)).hasSize(2);
        while (!batching.asleep() && System.nanoTime() < until) Thread.sleep(20);
        assertThat(batching.asleep()).as("asleep again").isTrue();
        long stopping = System.nanoTime();
        batching.stop();   // stop() wakes the writer: it returns at once, not after its 10 s bound
        assertThat(Duration.ofNanos(System.nanoTime() - stopping)).isLessThan(Duration.ofSeconds(5));
        assertThat(batching.isStarted()).isFalse();
    }

    @Test
    void stop_writesEverythingStillQueued() throws Exception {
        int n = 5_000;
        var child = new Capture(Duration.ZERO);
        // a flush interval far longer than the test: only stop() can get these written
        Logger logger = start(n + 16, 60_000, child);
        for (int i = 0; i < n; i++) {
            MDC.put("seq", Integer.toString(i));
            logger.info("burst {}", i);
        }
        MDC.clear();

        long t0 = System.nanoTime();
        batching.stop();
        long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

        List<ILoggingEvent> got = child.all();
        assertThat(got).hasSize(n);
        assertThat(byThread(got).get(Thread.currentThread().getName())).isEqualTo(upTo(n));
        assertThat(got.get(n - 1).getFormattedMessage()).isEqualTo("burst " + (n - 1));
        // stop wakes the writer rather than waiting out its park (or the 5 s join bound)
        assertThat(stopMillis).as("stop() took ms").isLessThan(2_000);
        assertThat(child.isStarted()).as("children are stopped with the appender").isFalse();

        logger.info("after stop");   // dropped by a stopped appender, and must not throw
        assertThat(child.all()).hasSize(n);
    }

    @Test
    void fullQueue_makesCallersWait_nothingIsDropped() throws Exception {
        int threads = 4, perThread = 50, total = threads * perThread;
        var child = new Capture(Duration.ofMillis(2));   // slower than the callers log
        Logger logger = start(1, 5, child);

        var workers = new ArrayList<Thread>();
        for (int t = 0; t < threads; t++) {
            String name = "caller-" + t;
            Runnable work = () -> {
                for (int i = 0; i < perThread; i++) {
                    MDC.put("seq", Integer.toString(i));
                    logger.info("{} {}", name, i);
                }
                MDC.clear();
            };
            workers.add(t % 2 == 0 ? Thread.ofVirtual().name(name).start(work) : Thread.ofPlatform().name(name).start(work));
        }
        for (Thread t : workers) assertThat(t.join(Duration.ofMillis(WAIT_MILLIS))).as(t.getName() + " finished").isTrue();

        // callers waited for the slow writer: when the last call returned, at most one event was queued and one
        // being written, so all but two were already written
        assertThat(child.size()).as("written when the last caller returned").isGreaterThanOrEqualTo(total - 2);

        List<ILoggingEvent> got = child.await(total);
        assertThat(got).hasSize(total);
        Map<String, List<Integer>> order = byThread(got);
        assertThat(order).hasSize(threads);
        order.forEach((thread, seqs) -> assertThat(seqs).as(thread).isEqualTo(upTo(perThread)));
    }

    @Test
    void stop_whileCallersWaitForRoom_writesTheirEventsAndReleasesThem() throws Exception {
        int threads = 4, perThread = 3, total = threads * perThread;
        var child = new Capture(Duration.ofMillis(50));   // the queue of one stays full while callers log
        Logger logger = start(1, 5, child);

        var workers = new ArrayList<Thread>();
        for (int t = 0; t < threads; t++) {
            String name = "caller-" + t;
            workers.add(Thread.ofPlatform().name(name).start(() -> {
                for (int i = 0; i < perThread; i++) {
                    MDC.put("seq", Integer.toString(i));
                    logger.info("{} {}", name, i);
                }
                MDC.clear();
            }));
        }
        Thread.sleep(60);   // some events written, the rest of the callers blocked on the full queue
        batching.stop();

        for (Thread t : workers) assertThat(t.join(Duration.ofMillis(WAIT_MILLIS))).as(t.getName() + " released").isTrue();
        List<ILoggingEvent> got = child.all();
        // a caller that only reached the appender after stop() began is refused by Logback itself (not started);
        // every event a caller handed to the appender was written, in its caller's order
        Map<String, List<Integer>> order = byThread(got);
        order.forEach((thread, seqs) -> assertThat(seqs).as(thread).isEqualTo(upTo(seqs.size())));
        assertThat(got.size()).isGreaterThanOrEqualTo(threads).isLessThanOrEqualTo(total);
    }
}
