package dev.arbiter.provider;

import dev.arbiter.wire.SseReader;
import dev.arbiter.wire.StreamDecoder;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.FrameStream;
import dev.arbiter.llm.SseEvent;
import dev.arbiter.llm.WireFormat;
import java.io.IOException;
import java.util.NoSuchElementException;

/**
 * An upstream SSE body as frames: each event read, decoded by the format's {@link StreamDecoder}, handed on
 * with its raw form. An upstream that ends its body before its final event is reported as an error on the
 * last {@code next()}, never as a silent end.
 */
final class SseFrameStream implements FrameStream {
    private final OpenStream open;
    private final SseReader reader;
    private final StreamDecoder decoder;
    private final WireFormat format;
    private final String label;
    private SseEvent pending;
    private boolean ended;

    SseFrameStream(OpenStream open, StreamDecoder decoder, WireFormat format, String label) {
        this.open = open;
        this.reader = new SseReader(open.body(), open.maxEventBytes());
        this.decoder = decoder;
        this.format = format;
        this.label = label;
    }

    @Override
    public WireFormat format() {
        return format;
    }

    @Override
    public boolean hasNext() {
        if (pending != null) return true;
        if (ended) return false;
        try {
            pending = reader.next();
        } catch (IOException e) {
            ended = true;
            throw open.failure(e);
        }
        if (pending == null) {
            ended = true;
            if (!decoder.complete()) {
                if (open.closed()) throw open.failure(new IOException("closed"));
                throw new ArbiterException.Upstream(502, "stream from upstream " + label + " ended before its final event",
                        "upstream_stream_truncated", null);
            }
            return false;
        }
        return true;
    }

    @Override
    public Frame next() {
        if (!hasNext()) throw new NoSuchElementException();
        SseEvent e = pending;
        pending = null;
        // an upstream's error event may quote a key: masked before the decoder logs it or a same-format client gets it
        if (isError(e)) {
            String masked = open.masked(e.data());
            if (!masked.equals(e.data())) e = new SseEvent(e.event(), masked, e.comment());
        }
        return new Frame(format, e, decoder.decode(e));
    }

    /** An error event of any of the formats: Anthropic's and Responses' {@code error}, {@code response.failed}, a chat error chunk. */
    private static boolean isError(SseEvent e) {
        return "error".equals(e.event()) || "response.failed".equals(e.event())
                || e.data().startsWith("{\"error\"") || e.data().startsWith("{\"type\":\"error\"")
                || e.data().startsWith("{\"type\":\"response.failed\"");
    }

    @Override
    public boolean ready() {
        return pending != null || !ended && reader.ready();
    }

    @Override
    public void close() {
        ended = true;
        open.close();
    }
}
