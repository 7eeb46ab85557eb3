package dev.arbiter.observe;

import dev.arbiter.llm.Usage;
import dev.arbiter.pipeline.Trace;

/**
 * What happened to one request, recorded when its answer is complete (a stream's when it closes): who served
 * it, usage and cost, timings, and how it ended. {@code status} is the HTTP status the client saw or would
 * have seen; {@code error} the error code or null; {@code api} the way in ({@code chat}, {@code completions},
 * {@code embeddings}, {@code messages}, {@code responses}, {@code count_tokens}). Times are nanoseconds; {@code ttftNanos} is -1 for a
 * non-streamed answer. {@code model}, {@code deployment} and {@code provider} are those of the answer, or, when the
 * request failed, of the last attempt made (null when none was). {@code trace} is the request's whole trace: the
 * route's decision, every attempt, each stage's time.
 */
public record Outcome(String requestId, String caller, String operation, String api, String requestedModel, String model,
                      String deployment, String provider, boolean streamed, int status, String error, Usage usage,
                      double costUsd, long latencyNanos, long ttftNanos, Trace trace) {
    /** The number of upstream attempts made. */
    public int attempts() {
        return trace.attempts().size();
    }

    /** Whether the request shared an identical in-flight request's upstream call (single-flight) instead of making one. */
    public boolean joined() {
        return "joined".equals(trace.notes().get("dedup"));
    }
}
