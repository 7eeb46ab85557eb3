package dev.arbiter.mock;

import java.time.Duration;

/**
 * How the fake serves one request: wait {@code latency} before answering (before the response headers of a
 * stream), then {@code ttft} before a stream's first token and {@code perToken} between tokens; or fail with
 * {@code fault}.
 */
public record MockPlan(Duration latency, Duration ttft, Duration perToken, Fault fault) {

    /** The failure injected into one request. */
    public sealed interface Fault {
        /** No failure. */
        record None() implements Fault {}

        /** An HTTP error status with the provider's error body. */
        record Error(int status) implements Fault {}

        /** HTTP 429 with a Retry-After header. */
        record RateLimited(Duration retryAfter) implements Fault {}

        /** No answer at all until the caller gives up. */
        record Hang() implements Fault {}

        /** The connection is closed before any response. */
        record Reset() implements Fault {}

        /** A 200 whose body is not valid JSON (or a stream with an event that is not). */
        record Malformed() implements Fault {}

        /** A stream cut after {@code afterTokens} tokens, without its final event. */
        record Drop(int afterTokens) implements Fault {}

        Fault NONE = new None();

        /** A short name for counters and logs, e.g. {@code rate_limited}. */
        default String kind() {
            return switch (this) {
                case None n -> "none";
                case Error e -> "error";
                case RateLimited r -> "rate_limited";
                case Hang h -> "hang";
                case Reset r -> "reset";
                case Malformed m -> "malformed";
                case Drop d -> "drop";
            };
        }
    }
}
