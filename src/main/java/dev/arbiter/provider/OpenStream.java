package dev.arbiter.provider;

import dev.arbiter.wire.SseReader;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.pipeline.Deadline;
import dev.arbiter.pipeline.Watchdog;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An upstream response body being streamed. Closing it (from any thread) aborts the upstream exchange; it closes
 * itself when the request's deadline passes, or when one read waits longer than the deployment's timeout: one
 * watchdog entry, postponed before each read to the earlier of the two.
 */
final class OpenStream implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UpstreamHttp.class);

    private final InputStream body;
    private final AutoCloseable closer;
    private final Watchdog.Armed timer;
    private final Deadline deadline;
    private final Duration timeout;
    /** Whether a read outlasted the deployment's timeout (the timer fired before the deadline). */
    private volatile boolean expired;
    private final String label;
    private final int maxEventBytes;
    private final UpstreamErrors errors;
    private final AtomicBoolean closed = new AtomicBoolean();

    OpenStream(InputStream body, AutoCloseable closer, Deadline deadline, Duration timeout, Watchdog watchdog, String label,
               int maxEventBytes, UpstreamErrors errors) {
        this.body = new Timed(body);
        this.closer = closer;
        this.deadline = deadline;
        this.timeout = timeout;
        this.label = label;
        this.maxEventBytes = maxEventBytes;
        this.errors = errors;
        this.timer = watchdog.arm(deadline.cap(timeout), this::expire);
    }

    private void expire() {
        expired = true;
        close();
    }

    /** The body, with the timer postponed before each read: a read may wait up to the timeout, never past the deadline. */
    private final class Timed extends FilterInputStream {
        Timed(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            timer.postpone(deadline.cap(timeout));
            return super.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            timer.postpone(deadline.cap(timeout));
            return super.read(b, off, len);
        }
    }

    public InputStream body() {
        return body;
    }

    /** The largest event the upstream may send (the deployment's {@code max-event-bytes}). */
    int maxEventBytes() {
        return maxEventBytes;
    }

    /** The upstream's error text with the gateway's secrets masked, as it may be passed on or logged. */
    String masked(String upstreamText) {
        return errors.mask(upstreamText);
    }

    /** The error to report for a read that failed: the deadline, a cancellation or a broken upstream. */
    public ArbiterException failure(IOException e) {
        if (deadline.passed()) return new ArbiterException.DeadlineExceeded("request deadline exceeded while streaming from upstream " + label);
        if (expired) return new ArbiterException.Upstream(504, "upstream " + label + " timed out", "upstream_timeout", null);
        if (closed.get()) return new ArbiterException.Upstream(0, "stream from upstream " + label + " was cancelled", "cancelled", null);
        if (e instanceof SseReader.EventTooLarge tooLarge) {
            close();   // the rest of the event is not read: the connection cannot be reused
            log.warn("stream from upstream {} sent an event over its max-event-bytes ({})", label, tooLarge.max());
            return new ArbiterException.Upstream(502, "stream from upstream " + label + " sent an event larger than "
                    + "Arbiter accepts (max-event-bytes: " + tooLarge.max() + ")", "upstream_response_too_large", null);
        }
        log.warn("stream from upstream {} broke: {}", label, e.toString());
        return new ArbiterException.Upstream(502, "stream from upstream " + label + " broke off", "upstream_stream_error", null);
    }

    public boolean closed() {
        return closed.get();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        timer.close();
        UpstreamHttp.closeQuietly(closer);
    }
}
