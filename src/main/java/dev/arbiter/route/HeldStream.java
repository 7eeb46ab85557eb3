package dev.arbiter.route;

import dev.arbiter.llm.Frame;
import dev.arbiter.llm.FrameStream;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.WireFormat;
import java.util.ArrayDeque;
import java.util.NoSuchElementException;

/**
 * A stream held back from the client until its first frame with something to say (text, reasoning, a tool call, a
 * finish or usage), so that an upstream that opens a stream and then fails (an error event first, LiteLLM #29808;
 * an error after a role-only first chunk, Bifrost #5395; a body closed before any event, Portkey #1797) fails the
 * attempt while another may still be tried: nothing, not even the headers, has reached the client. The frames read
 * while holding (a role-only chunk, pings) are replayed first, in order. At most {@link #MAX_HELD} frames are held;
 * a stream that sends more without substance is let through as it is.
 */
final class HeldStream implements FrameStream {
    static final int MAX_HELD = 64;

    private final FrameStream inner;
    private final ArrayDeque<Frame> held = new ArrayDeque<>();

    private HeldStream(FrameStream inner) {
        this.inner = inner;
    }

    /**
     * Reads {@code stream} up to its first frame with substance (or its end); a failure before it closes the stream
     * and is thrown.
     */
    static FrameStream hold(FrameStream stream) {
        var h = new HeldStream(stream);
        try {
            while (h.held.size() < MAX_HELD && stream.hasNext()) {
                Frame f = stream.next();
                h.held.add(f);
                if (substantial(f)) break;
            }
        } catch (RuntimeException e) {
            stream.close();
            throw e;
        }
        return h;
    }

    /** Whether a frame carries anything but the stream's start (a role-only chunk) or nothing at all (a ping). */
    static boolean substantial(Frame f) {
        for (StreamEvent e : f.events()) {
            switch (e) {
                case StreamEvent.Started s -> { }
                case StreamEvent.TextDelta t when t.text() == null || t.text().isEmpty() -> { }
                default -> {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public WireFormat format() {
        return inner.format();
    }

    @Override
    public boolean hasNext() {
        return !held.isEmpty() || inner.hasNext();
    }

    @Override
    public Frame next() {
        Frame f = held.poll();
        if (f != null) return f;
        if (!inner.hasNext()) throw new NoSuchElementException();
        return inner.next();
    }

    @Override
    public boolean ready() {
        return !held.isEmpty() || inner.ready();
    }

    @Override
    public void close() {
        inner.close();
    }
}
