package dev.arbiter.dedup;

import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.FrameStream;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.pipeline.Deadline;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One upstream stream read by several requests: each reads its own {@link View} at its own pace, from the first frame,
 * so a request that joins late gets the frames already produced, then the rest live.
 *
 * <p>Design. There is no thread of its own: whichever view needs a frame that is not there yet reads it from the
 * upstream (the <em>puller</em>, one at a time, with the lock released while it waits on the network) and appends it;
 * the others wait on a condition, each bounded by its own deadline. A lone request thus reads its upstream on its
 * own thread exactly as without single-flight (no hand-off, no extra wake-up per frame), and the upstream is read as
 * fast as the fastest reader, as it would be without sharing. Frames are kept from the first while the stream may
 * still be joined; once their size passes {@code maxBytes} the stream is closed to joiners ({@code onClosedToJoin})
 * and frames every open view has read are dropped, so what stays is what lies between the slowest and the fastest
 * reader. The upstream is closed, which cancels the call, when the last view is closed; the upstream's end or failure
 * also closes the stream to joiners. A failure reaches every view, after the frames that came before it.
 *
 * <p>Invariants, under {@code lock}: {@code base + frames.size()} frames were appended in all; at most one puller;
 * {@code views} holds the views not yet closed; once {@code joinable} is false it stays false.
 */
final class Broadcast {
    /** A frame's size for the replay bound when it has no raw event. */
    private static final int FRAME_OVERHEAD = 64;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final long maxBytes;
    private final Runnable onClosedToJoin;
    private final ArrayList<Frame> frames = new ArrayList<>();
    private final List<View> views = new ArrayList<>(2);
    private FrameStream upstream;
    private int base;
    private long bytes;
    private boolean joinable = true;
    private boolean pulling;
    private boolean ended;
    private boolean upstreamClosed;
    private ArbiterException failure;

    /** @param onClosedToJoin run once, outside the lock, when no request may join any more */
    Broadcast(long maxBytes, Runnable onClosedToJoin) {
        this.maxBytes = maxBytes;
        this.onClosedToJoin = onClosedToJoin;
    }

    /**
     * A view from the first frame for a request with {@code deadline}, or null when the stream may no longer be joined.
     * May be called before {@link #start}: the view is then read only after it.
     */
    View attach(Deadline deadline) {
        lock.lock();
        try {
            if (!joinable) return null;
            var v = new View(deadline);
            views.add(v);
            return v;
        } finally {
            lock.unlock();
        }
    }

    /** Hands over the upstream stream; closes it at once when every view already left. */
    void start(FrameStream stream) {
        boolean closeNow;
        lock.lock();
        try {
            upstream = stream;
            closeNow = views.isEmpty() && !upstreamClosed;
            if (closeNow) upstreamClosed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (closeNow) stream.close();
    }

    /** Closes the stream to joiners; true when this call did (the caller then runs {@code onClosedToJoin}). */
    private boolean closeToJoinLocked() {
        if (!joinable) return false;
        joinable = false;
        return true;
    }

    private static long size(Frame f) {
        var raw = f.raw();
        if (raw == null) return FRAME_OVERHEAD;
        return FRAME_OVERHEAD + (raw.data() == null ? 0 : raw.data().length()) + (raw.event() == null ? 0 : raw.event().length());
    }

    /** Drops the frames every open view has read, once the stream cannot be joined any more. */
    private void trimLocked() {
        if (joinable || frames.isEmpty()) return;
        int low = base + frames.size();
        for (View v : views) low = Math.min(low, v.position);
        int drop = low - base;
        if (drop <= 0) return;
        for (int i = 0; i < drop; i++) bytes -= size(frames.get(i));
        frames.subList(0, drop).clear();
        base = low;
    }

    /** One request's reading of the shared stream. */
    final class View implements FrameStream {
        private final Deadline deadline;
        private int position;
        private boolean closed;

        private View(Deadline deadline) {
            this.deadline = deadline;
        }

        @Override
        public WireFormat format() {
            lock.lock();
            try {
                return upstream.format();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public boolean ready() {
            lock.lock();
            try {
                if (position < base + frames.size() || ended || closed) return true;
                return !pulling && upstream != null && upstream.ready();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public boolean hasNext() {
            boolean closedNow = false;
            lock.lock();
            try {
                while (true) {
                    if (closed) throw cancelled();
                    if (position < base + frames.size()) return true;
                    if (ended) {
                        if (failure != null) throw failure;
                        return false;
                    }
                    if (!pulling && upstream != null) {
                        closedNow = pull();
                        continue;
                    }
                    long left = deadline.remaining().toNanos();
                    if (left <= 0) throw new ArbiterException.DeadlineExceeded("request deadline exceeded while waiting for the shared stream");
                    try {
                        changed.await(left, TimeUnit.NANOSECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw cancelled();
                    }
                }
            } finally {
                lock.unlock();
                if (closedNow) onClosedToJoin.run();
            }
        }

        /**
         * Reads one frame (or the end, or the failure) from the upstream with the lock released, and appends it.
         * Called and returns with the lock held; true when this closed the stream to joiners.
         */
        private boolean pull() {
            pulling = true;
            lock.unlock();
            Frame frame = null;
            ArbiterException failed = null;
            boolean more;
            try {
                more = upstream.hasNext();
                if (more) frame = upstream.next();
            } catch (ArbiterException e) {
                failed = e;
                more = false;
            } catch (RuntimeException e) {
                failed = new ArbiterException.Internal("the shared stream failed");
                more = false;
            } finally {
                lock.lock();
                pulling = false;
            }
            boolean closedNow = false;
            if (more) {
                frames.add(frame);
                bytes += size(frame);
                if (bytes > maxBytes) closedNow = closeToJoinLocked();
                trimLocked();
            } else {
                ended = true;
                failure = failed;
                closedNow = closeToJoinLocked();
            }
            changed.signalAll();
            return closedNow;
        }

        @Override
        public Frame next() {
            if (!hasNext()) throw new NoSuchElementException();
            lock.lock();
            try {
                Frame f = frames.get(position - base);
                position++;
                trimLocked();
                return f;
            } finally {
                lock.unlock();
            }
        }

        /** Leaves the shared stream; the last view to leave closes the upstream, which cancels the call if it runs. */
        @Override
        public void close() {
            FrameStream toClose = null;
            boolean closedNow = false;
            lock.lock();
            try {
                if (closed) return;
                closed = true;
                views.remove(this);
                if (views.isEmpty()) {
                    closedNow = closeToJoinLocked();
                    if (upstream != null && !upstreamClosed) {
                        upstreamClosed = true;
                        toClose = upstream;
                    }
                } else {
                    trimLocked();
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            if (closedNow) onClosedToJoin.run();
            if (toClose != null) toClose.close();
        }

        private ArbiterException cancelled() {
            return new ArbiterException.Upstream(0, "the shared stream was cancelled", "cancelled", null);
        }
    }
}
