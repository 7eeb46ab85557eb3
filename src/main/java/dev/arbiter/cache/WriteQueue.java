package dev.arbiter.cache;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes to the cache's slower stores, off the requests' path: one background thread (which keeps the order of the
 * writes to a key) draining a bounded queue. A write offered to a full (or closed) queue is dropped and counted: the
 * faster tier still has the value.
 */
public final class WriteQueue implements AutoCloseable {
    private final ThreadPoolExecutor writer;
    private final AtomicLong dropped = new AtomicLong();

    /** One thread named {@code threadName}, at most {@code capacity} writes waiting. */
    public WriteQueue(String threadName, int capacity) {
        this.writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(capacity),
                Thread.ofPlatform().daemon().name(threadName).factory());
    }

    /** Queues {@code write}; false (and counted) when the queue is full or closed. */
    public boolean offer(Runnable write) {
        try {
            writer.execute(write);
            return true;
        } catch (RejectedExecutionException e) {
            dropped.incrementAndGet();
            return false;
        }
    }

    /** The writes dropped since start. */
    public long dropped() {
        return dropped.get();
    }

    /** Waits (at most {@code timeout}) until the writes queued so far are done: for tests and warm-up. */
    public boolean flush(Duration timeout) {
        var done = new CountDownLatch(1);
        try {
            writer.execute(done::countDown);
            return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Runs the writes still queued, for at most two seconds, then stops the thread. */
    @Override
    public void close() {
        writer.shutdown();
        try {
            if (!writer.awaitTermination(2, TimeUnit.SECONDS)) writer.shutdownNow();
        } catch (InterruptedException e) {
            writer.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
