package dev.arbiter.llm;

import java.util.Iterator;

/**
 * A streamed answer as it arrives: an iterator of frames that blocks until the next one is there.
 * {@link #close()} cancels the upstream call (the client went away or the deadline passed) and is safe to
 * call more than once and from another thread. {@code next()} throws an
 * {@link dev.arbiter.error.ArbiterException} when the upstream fails mid-stream.
 */
public interface FrameStream extends Iterator<Frame>, AutoCloseable {
    /** The format of the frames' raw events. */
    WireFormat format();

    /**
     * Whether the next frame (or the end) is already here, so that {@code hasNext()} would not wait on the
     * upstream. A writer flushes to its client when it is not: frames that arrived together go out together,
     * one that arrived alone goes out at once. False when unknown.
     */
    default boolean ready() {
        return false;
    }

    @Override
    void close();
}
