package dev.arbiter.dedup;

import dev.arbiter.error.ArbiterException;
import dev.arbiter.pipeline.Deadline;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.Trace;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One upstream call in flight that identical requests share: made by the request that started it (the leader, on its
 * own thread), awaited by the others (joiners), each until its own deadline. Its outcome is set once: the reply, or
 * the failure every waiter gets, or "abandoned" (the leader's reply cannot be shared: each waiter then makes its own
 * call). For a streamed call, {@code broadcast} is what every waiter reads from.
 */
final class Flight {
    /** The leader's whole time allowance (its deadline less its start): a request allowed more may not join. */
    final long budgetNanos;
    /** The leader's request id, noted in the joiners' traces. */
    final String leader;
    /** The shared stream of a streamed call; null for a complete answer. */
    final Broadcast broadcast;
    /** The leader's trace, where the call's attempts are recorded. */
    private final Trace trace;
    private final CountDownLatch settled = new CountDownLatch(1);
    private volatile Reply reply;
    private volatile ArbiterException failure;

    Flight(long budgetNanos, String leader, Trace trace, Broadcast broadcast) {
        this.budgetNanos = budgetNanos;
        this.leader = leader;
        this.trace = trace;
        this.broadcast = broadcast;
    }

    void succeeded(Reply r) {
        reply = r;
        settled.countDown();
    }

    void failed(ArbiterException e) {
        failure = e;
        settled.countDown();
    }

    /** The leader's reply cannot be shared: every waiter makes its own call. */
    void abandoned() {
        settled.countDown();
    }

    /** Upstream attempts the shared call made (final once it is settled: a stream is never retried after it began). */
    int attempts() {
        return trace.attempts().size();
    }

    /**
     * The shared reply, waiting for it until {@code deadline}; null when the flight was abandoned. Throws the shared
     * failure, or the waiter's own {@link ArbiterException.DeadlineExceeded}.
     */
    Reply await(Deadline deadline) {
        try {
            long left = deadline.remaining().toNanos();
            if (left <= 0 || !settled.await(left, TimeUnit.NANOSECONDS)) {
                throw new ArbiterException.DeadlineExceeded("request deadline exceeded while waiting for an identical request's answer");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArbiterException.Upstream(0, "the wait for an identical request's answer was cancelled", "cancelled", null);
        }
        if (failure != null) throw failure;
        return reply;
    }
}
