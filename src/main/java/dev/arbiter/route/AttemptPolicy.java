package dev.arbiter.route;

import dev.arbiter.error.ArbiterException;
import dev.arbiter.pipeline.Trace;
import dev.arbiter.provider.Deployment;
import java.time.Duration;
import java.util.List;

/**
 * The rule the attempt step follows after an attempt fails: try again (where, after how long) or give up. A pure
 * decision over the plan, the attempts made so far and the failure, apart from the mechanism that waits and sends,
 * so that it is tested without I/O. The resilience policies (retries, fallbacks, breakers) are implementations.
 */
@FunctionalInterface
public interface AttemptPolicy {
    /** One attempt and no more: a failure goes to the caller as it is. */
    AttemptPolicy ONCE = (plan, attempts, failure, remaining) -> new GiveUp();

    /**
     * What to do after {@code failure}, the end of the last of {@code attempts} (every attempt so far, in order).
     *
     * @param remaining the time left before the request's deadline: a policy does not ask for a wait as long
     */
    Next afterFailure(Plan plan, List<Trace.AttemptRecord> attempts, ArbiterException failure, Duration remaining);

    /**
     * Whether a stream of this plan is held until its first frame before the reply is returned, so that a failure
     * before anything reached the client can still be tried again. Off for {@link #ONCE}: the client's headers go out
     * at once.
     */
    default boolean holdStreams(Plan plan) {
        return false;
    }

    /** What to do after a failed attempt. */
    sealed interface Next permits Retry, GiveUp {}

    /** Try {@code deployment} after {@code delay} (zero for at once), if the request's deadline leaves time for it. */
    record Retry(Deployment deployment, Duration delay) implements Next {}

    /** Give the failure to the caller. */
    record GiveUp() implements Next {}
}
