package dev.arbiter.api;

import dev.arbiter.wire.StreamEncoder;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.FrameStream;
import dev.arbiter.llm.SseEvent;
import dev.arbiter.pipeline.Watchdog;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a stream to a client as server-sent events, flushing each frame as it arrives.
 *
 * <p>The first frame is awaited before the status line is sent, so an upstream that fails before its first
 * event still gets a proper HTTP error status. After that, a failure becomes the format's error event and
 * never a silent end. While the upstream is silent a keep-alive goes out every interval, which also finds a
 * client that went away; a client that went away makes the writer close the stream, which cancels the
 * upstream call. Writes from the keep-alive timer and the request thread are serialized on the output stream.
 */
final class StreamWriter {
    private static final Logger log = LoggerFactory.getLogger(StreamWriter.class);
    private static final long STALE_NANOS = 5_000_000;
    private final Duration keepAlive;
    private final Watchdog watchdog;
    /** Streams being written, so that a shutdown past its drain timeout can end each one properly. */
    private final java.util.Set<Active> active = java.util.concurrent.ConcurrentHashMap.newKeySet();

    StreamWriter(Duration keepAlive, Watchdog watchdog) {
        this.keepAlive = keepAlive;
        this.watchdog = watchdog;
    }

    /** A stream being written, and why it was cut (null while it runs). */
    private static final class Active {
        final FrameStream stream;
        volatile ArbiterException cut;

        Active(FrameStream stream) {
            this.stream = stream;
        }
    }

    /**
     * Ends every stream being written: its upstream call is cancelled and the client gets the format's error event
     * ({@code reason}) and a proper end of the response, written by the stream's own thread.
     */
    void cutAll(ArbiterException reason) {
        for (Active a : active) {
            a.cut = reason;
            a.stream.close();
        }
    }

    /**
     * Writes {@code stream} to the client. An HTTP/1.0 client ({@code http10}) cannot read chunked encoding, and Helidon
     * streams an answer of unknown length only chunked, so for it the events are gathered and sent with a length.
     */
    void write(FrameStream stream, StreamEncoder encoder, ServerResponse res, Surface surface, String rid, boolean http10) {
        try (stream) {
            Frame first;
            try {
                if (!stream.hasNext()) {
                    throw new ArbiterException.Upstream(502, "upstream ended the stream without any event", "upstream_stream_truncated", null);
                }
                first = stream.next();
            } catch (ArbiterException e) {
                HttpApi.error(surface, e, res, rid);
                return;
            }
            res.header("content-type", "text/event-stream; charset=utf-8");
            res.header("cache-control", "no-cache");
            res.header("x-accel-buffering", "no");
            var gathered = http10 ? new java.io.ByteArrayOutputStream() : null;
            Sink sink = new Sink(http10 ? gathered : res.outputStream(), stream);
            // checked on the gateway's watchdog's tick rather than a timer per stream, which would wake a thread
            // for every stream; the write itself goes to a virtual thread, since a client may not be reading
            Watchdog.Armed timer = http10 ? null : watchdog.every(() -> sink.keepAliveIfDue(encoder.keepAlive(), keepAlive));
            Active self = new Active(stream);
            active.add(self);
            try {
                // each frame is written as it comes and flushed unless the next one is already here, so a burst
                // from the upstream leaves in one write while a token that came alone is not held back
                sink.send(encoder.encode(first), !stream.ready());
                ArbiterException failure = null;
                try {
                    while (self.cut == null && stream.hasNext()) sink.send(encoder.encode(stream.next()), !stream.ready());
                } catch (ArbiterException e) {
                    failure = e;
                } catch (RuntimeException e) {
                    if (self.cut == null) throw e;   // a stream cut at shutdown may end in any exception
                }
                if (self.cut != null) failure = self.cut;
                if (failure != null) {
                    log.warn("request {}: stream failed after it started: {}", rid, failure.getMessage());
                    sink.send(encoder.error(failure), true);
                } else {
                    sink.send(encoder.finish(), true);
                }
                if (http10) res.send(gathered.toByteArray());
            } catch (UncheckedIOException e) {
                log.info("request {}: client went away mid-stream; upstream call cancelled", rid);
            } finally {
                active.remove(self);
                if (timer != null) timer.close();
                sink.close();
            }
        }
    }

    /** The client's end of the stream. */
    private static final class Sink {
        private final OutputStream out;
        private final FrameStream stream;
        private final java.util.concurrent.atomic.AtomicBoolean pinging = new java.util.concurrent.atomic.AtomicBoolean();
        private volatile long lastWrite = System.nanoTime();
        private boolean broken;
        private volatile boolean unflushed;

        Sink(OutputStream out, FrameStream stream) {
            this.out = out;
            this.stream = stream;
        }

        synchronized void send(List<SseEvent> events, boolean flush) {
            if (events.isEmpty() && !(flush && unflushed)) return;
            if (broken) throw new UncheckedIOException(new IOException("client gone"));
            try {
                for (SseEvent e : events) out.write(e.toBytes());
                unflushed |= !events.isEmpty();
                if (flush && unflushed) {
                    out.flush();
                    unflushed = false;
                }
                lastWrite = System.nanoTime();
            } catch (IOException | RuntimeException e) {
                broken = true;
                throw new UncheckedIOException(e instanceof IOException io ? io : new IOException(e));
            }
        }

        /**
         * Called on the watchdog's thread every tick: starts a keep-alive write when the stream has been quiet too
         * long, or a flush when written events have waited a tick for one (the upstream sent part of its next
         * event and then paused, so the frame the writer expected to follow did not come).
         */
        void keepAliveIfDue(SseEvent event, Duration interval) {
            long quiet = System.nanoTime() - lastWrite;
            boolean stale = unflushed && quiet >= STALE_NANOS;
            if (quiet < interval.toNanos() && !stale || !pinging.compareAndSet(false, true)) return;
            Thread.ofVirtual().name("arbiter-sse-keepalive").start(() -> {
                try {
                    if (System.nanoTime() - lastWrite >= interval.toNanos()) send(List.of(event), true);
                    else send(List.of(), true);
                } catch (UncheckedIOException e) {
                    stream.close();
                } finally {
                    pinging.set(false);
                }
            });
        }

        synchronized void close() {
            try {
                out.close();
            } catch (IOException | RuntimeException e) {
                // the client is gone; nothing more to tell it
            }
        }
    }
}
