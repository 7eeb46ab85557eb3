package dev.arbiter.observe;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.spi.AppenderAttachable;
import ch.qos.logback.core.spi.AppenderAttachableImpl;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Hands log events to one writer thread that wakes every {@link #setFlushMillis flush interval} and writes what
 * queued up, so a request thread logging its access line never wakes another thread.
 *
 * <p>Written by hand because Logback's own {@code AsyncAppender} blocks its worker in {@code take()}, so each
 * event (one per request, at least) wakes it: on a virtualised two-core machine that wake-up cost about 7% of the
 * gateway's CPU. Nothing is dropped: a full queue makes callers wait, as with {@code AsyncAppender} with a
 * discarding threshold of 0. Events are prepared for deferred processing (message, MDC, thread name) before they
 * are queued, and everything queued is written when the appender stops (Logback's shutdown hook). After a second
 * without events the writer parks until the next one, so an idle gateway does not wake fifty times a second.
 */
public final class BatchingAppender extends UnsynchronizedAppenderBase<ILoggingEvent> implements AppenderAttachable<ILoggingEvent> {
    private final AppenderAttachableImpl<ILoggingEvent> appenders = new AppenderAttachableImpl<>();
    private int queueSize = 8192;
    private long flushMillis = 100;
    private final java.util.concurrent.atomic.AtomicInteger appending = new java.util.concurrent.atomic.AtomicInteger();
    private ArrayBlockingQueue<ILoggingEvent> queue;
    private Thread writer;
    private volatile boolean stopping;
    /** Set by the writer before its last look at the queue when it parks until the next event (after a second idle). */
    private volatile boolean sleeping;

    public void setQueueSize(int queueSize) {
        this.queueSize = queueSize;
    }

    public void setFlushMillis(long flushMillis) {
        this.flushMillis = flushMillis;
    }

    @Override
    public void start() {
        if (isStarted()) return;
        if (queueSize < 1 || flushMillis < 1) {
            addError("queueSize and flushMillis must be positive");
            return;
        }
        queue = new ArrayBlockingQueue<>(queueSize);
        stopping = false;
        appending.set(0);
        writer = new Thread(this::drainLoop, "arbiter-log-writer");
        writer.setDaemon(true);
        super.start();
        writer.start();
    }

    /**
     * Stops taking events and waits (up to 10 s) until the writer has written every event queued, including those
     * of callers that were still waiting for room in the queue when the appender stopped.
     */
    @Override
    public void stop() {
        if (!isStarted()) return;
        super.stop();
        stopping = true;
        LockSupport.unpark(writer);
        try {
            writer.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            addError("log writer did not finish within 10 s; events still queued: " + queue.size());
            return;   // never call the appenders from two threads at once
        }
        appenders.detachAndStopAllAppenders();
    }

    @Override
    protected void append(ILoggingEvent event) {
        event.prepareForDeferredProcessing();
        appending.incrementAndGet();
        try {
            boolean interrupted = false;
            while (true) {
                try {
                    queue.put(event);
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;   // keep the event and its order; restore the flag afterwards
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
            // the writer parks for good after a second without events; the event was queued before this read, so
            // either the writer sees it or this caller sees the writer asleep
            if (sleeping) {
                sleeping = false;
                LockSupport.unpark(writer);
            }
            // stop() raced past this caller and the writer already finished: write what it left here
            if (stopping && !writer.isAlive()) drain(new ArrayList<>());
        } finally {
            appending.decrementAndGet();
        }
    }

    private void drainLoop() {
        List<ILoggingEvent> batch = new ArrayList<>();
        long tick = TimeUnit.MILLISECONDS.toNanos(flushMillis);
        long idleTicks = Math.max(1, TimeUnit.SECONDS.toNanos(1) / tick);
        long idle = 0;
        while (true) {
            if (drain(batch) > 0) {
                idle = 0;
                continue;
            }
            // a caller may still be waiting for room when stop() begins: finish only once none is left
            if (stopping && appending.get() == 0 && queue.isEmpty()) return;
            if (++idle >= idleTicks && !stopping) {
                // an idle gateway's writer need not wake every tick: park until the next event or stop()
                sleeping = true;
                while (sleeping && queue.isEmpty() && !stopping) LockSupport.park(this);
                sleeping = false;
                idle = 0;
                continue;
            }
            LockSupport.parkNanos(tick);
        }
    }

    private int drain(List<ILoggingEvent> batch) {
        int n = queue.drainTo(batch);
        for (ILoggingEvent e : batch) {
            try {
                appenders.appendLoopOnAppenders(e);
            } catch (RuntimeException | Error ex) {
                addError("appender failed", ex);   // the writer must survive, or callers would block on a full queue
            }
        }
        batch.clear();
        return n;
    }

    /** Whether the writer is parked until the next event (for tests). */
    boolean asleep() {
        return sleeping;
    }

    @Override
    public void addAppender(Appender<ILoggingEvent> appender) {
        appenders.addAppender(appender);
    }

    @Override
    public Iterator<Appender<ILoggingEvent>> iteratorForAppenders() {
        return appenders.iteratorForAppenders();
    }

    @Override
    public Appender<ILoggingEvent> getAppender(String name) {
        return appenders.getAppender(name);
    }

    @Override
    public boolean isAttached(Appender<ILoggingEvent> appender) {
        return appenders.isAttached(appender);
    }

    @Override
    public void detachAndStopAllAppenders() {
        appenders.detachAndStopAllAppenders();
    }

    @Override
    public boolean detachAppender(Appender<ILoggingEvent> appender) {
        return appenders.detachAppender(appender);
    }

    @Override
    public boolean detachAppender(String name) {
        return appenders.detachAppender(name);
    }
}
