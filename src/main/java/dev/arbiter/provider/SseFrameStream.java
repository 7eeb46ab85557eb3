package dev.arbiter.provider;

import dev.arbiter.api.SseReader;
import dev.arbiter.api.StreamDecoder;
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
    private final UpstreamHttp.OpenStream open;
    private final SseReader reader;
    private final StreamDecoder decoder;
    private final WireFormat format;
    private final String label;
    private SseEvent pending;
    private boolean ended;

    SseFrameStream(UpstreamHttp.OpenStream open, StreamDecoder decoder, WireFormat format, String label) {
        this.open = open;
        this.reader = new SseReader(open.body());
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
        return new Frame(format, e, decoder.decode(e));
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
