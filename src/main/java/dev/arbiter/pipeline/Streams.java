package dev.arbiter.pipeline;

import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.FrameStream;
import dev.arbiter.llm.WireFormat;
import java.util.function.Consumer;

/** Decorators for {@link FrameStream}s, so that stages can observe or hold resources for a stream's life. */
public final class Streams {
    private Streams() {}

    /** A stream that runs {@code onClose} once, after the inner stream is closed. */
    public static FrameStream onClose(FrameStream inner, Runnable onClose) {
        return new Decorated(inner, f -> {}, e -> {}, onClose);
    }

    /** A stream that shows each frame to {@code observer} as it passes, then runs {@code onClose} once at close. */
    public static FrameStream observe(FrameStream inner, Consumer<Frame> observer, Runnable onClose) {
        return new Decorated(inner, observer, e -> {}, onClose);
    }

    /**
     * As {@link #observe}, and shows {@code onFailure} the failure a {@code hasNext()} or {@code next()} throws (the
     * upstream failed mid-stream) before it goes on to the reader.
     */
    public static FrameStream observe(FrameStream inner, Consumer<Frame> observer, Consumer<ArbiterException> onFailure,
                                      Runnable onClose) {
        return new Decorated(inner, observer, onFailure, onClose);
    }

    private static final class Decorated implements FrameStream {
        private final FrameStream inner;
        private final Consumer<Frame> observer;
        private final Consumer<ArbiterException> onFailure;
        private final Runnable onClose;
        private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

        Decorated(FrameStream inner, Consumer<Frame> observer, Consumer<ArbiterException> onFailure, Runnable onClose) {
            this.inner = inner;
            this.observer = observer;
            this.onFailure = onFailure;
            this.onClose = onClose;
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
            try {
                return inner.hasNext();
            } catch (ArbiterException e) {
                onFailure.accept(e);
                throw e;
            }
        }

        @Override
        public Frame next() {
            Frame f;
            try {
                f = inner.next();
            } catch (ArbiterException e) {
                onFailure.accept(e);
                throw e;
            }
            observer.accept(f);
            return f;
        }

        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) return;
            try {
                inner.close();
            } finally {
                onClose.run();
            }
        }
    }
}
