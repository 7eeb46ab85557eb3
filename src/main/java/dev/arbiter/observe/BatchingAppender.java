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
 * are queued, and everything queued is written when the appender stops (Logback's shutdown hook).
 */
public final class BatchingAppender extends UnsynchronizedAppenderBase<ILoggingEvent> implements AppenderAttachable<ILoggingEvent> {
    private final AppenderAttachableImpl<ILoggingEvent> appenders = new AppenderAttachableImpl<>();
    private int queueSize = 8192;
    private long flushMillis = 20;
    private ArrayBlockingQueue<ILoggingEvent> queue;
    private Thread writer;
    private volatile boolean stopping;

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
        writer = new Thread(this::drainLoop, "arbiter-log-writer");
        writer.setDaemon(true);
        super.start();
        writer.start();
    }

    @Override
    public void stop() {
        if (!isStarted()) return;
        stopping = true;
        super.stop();
        LockSupport.unpark(writer);
        try {
            writer.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drain(new ArrayList<>());
        appenders.detachAndStopAllAppenders();
    }

    @Override
    protected void append(ILoggingEvent event) {
        event.prepareForDeferredProcessing();
        try {
            queue.put(event);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            appenders.appendLoopOnAppenders(event);   // write it here rather than lose it
        }
    }

    private void drainLoop() {
        List<ILoggingEvent> batch = new ArrayList<>();
        long tick = TimeUnit.MILLISECONDS.toNanos(flushMillis);
        while (!stopping) {
            if (drain(batch) == 0) LockSupport.parkNanos(tick);
        }
    }

    private int drain(List<ILoggingEvent> batch) {
        int n = queue.drainTo(batch);
        for (ILoggingEvent e : batch) {
            try {
                appenders.appendLoopOnAppenders(e);
            } catch (RuntimeException ex) {
                addError("appender failed", ex);
            }
        }
        batch.clear();
        return n;
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
