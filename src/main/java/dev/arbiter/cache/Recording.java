package dev.arbiter.cache;

import dev.arbiter.llm.Frame;
import dev.arbiter.llm.FrameStream;
import dev.arbiter.llm.SseEvent;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.WireFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A stream that keeps a copy of its frames as they pass to the client (never holding them back) and hands the whole
 * list to {@code onComplete} once the upstream said it is complete and nothing failed: a stream cut by the upstream,
 * failed, abandoned by its client before its end, or larger than {@code maxBytes} (roughly counted) is never handed on.
 */
final class Recording implements FrameStream {
    private final FrameStream inner;
    private final Consumer<List<Frame>> onComplete;
    private final long maxBytes;
    private final List<Frame> frames = new ArrayList<>();
    private long bytes;
    private boolean completed;
    private boolean failed;
    private boolean handed;

    Recording(FrameStream inner, long maxBytes, Consumer<List<Frame>> onComplete) {
        this.inner = inner;
        this.maxBytes = maxBytes;
        this.onComplete = onComplete;
    }

    @Override
    public WireFormat format() {
        return inner.format();
    }

    @Override
    public boolean ready() {
        return inner.ready();
    }

    @Override
    public boolean hasNext() {
        boolean more;
        try {
            more = inner.hasNext();
        } catch (RuntimeException e) {
            failed = true;
            throw e;
        }
        if (!more) done();
        return more;
    }

    @Override
    public Frame next() {
        Frame f;
        try {
            f = inner.next();
        } catch (RuntimeException e) {
            failed = true;
            throw e;
        }
        if (!failed && bytes <= maxBytes) {
            frames.add(f);
            bytes += 48 + size(f.raw());
            for (StreamEvent e : f.events()) {
                bytes += 24;
                if (e instanceof StreamEvent.Completed) completed = true;
                else if (e instanceof StreamEvent.TextDelta t) bytes += t.text().length();
                else if (e instanceof StreamEvent.ToolArgumentsDelta a) bytes += a.fragment().length();
                else if (e instanceof StreamEvent.ReasoningDelta r) bytes += r.text().length();
            }
        }
        return f;
    }

    private static long size(SseEvent e) {
        if (e == null) return 0;
        return (e.data() == null ? 0 : e.data().length()) + (e.event() == null ? 0 : e.event().length());
    }

    private void done() {
        if (handed || failed || !completed || bytes > maxBytes) return;
        handed = true;
        onComplete.accept(List.copyOf(frames));
    }

    @Override
    public void close() {
        try {
            inner.close();
        } finally {
            done();   // a writer may stop reading after the final event without asking for more
        }
    }
}
