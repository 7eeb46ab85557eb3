package dev.arbiter.cache;

import dev.arbiter.llm.Frame;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.pipeline.ServedBy;
import java.util.List;

/**
 * One stored answer: the complete response, or a stream's frames as they passed; who answered it, what it cost and
 * how long it took (what a hit saves), and when it stops being served.
 *
 * @param costUsd       what the answer cost when it was made
 * @param latencyNanos  how long it took to make, to its last byte
 * @param expiresMillis epoch milliseconds after which it is not served
 */
public record CachedAnswer(Body body, ServedBy servedBy, String scope, String model, double costUsd, long latencyNanos,
                           long createdMillis, long expiresMillis) {

    /** What was stored. */
    public sealed interface Body {}

    /** A complete (non-streamed) answer. */
    public record Whole(LlmResponse response) implements Body {}

    /** A stream's frames, in order, from its first to its completion. */
    public record Recorded(WireFormat format, List<Frame> frames) implements Body {
        public Recorded {
            frames = List.copyOf(frames);
        }
    }

    public boolean expired(long nowMillis) {
        return nowMillis >= expiresMillis;
    }
}
