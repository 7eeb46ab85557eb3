package dev.arbiter.api;

import dev.arbiter.llm.SseEvent;
import dev.arbiter.llm.StreamEvent;
import java.util.List;

/**
 * Turns one upstream format's server-sent events into typed {@link StreamEvent}s. One instance per stream.
 * {@link #complete()} is true once the upstream sent its final event; a stream that ends before is cut.
 * Throws {@link dev.arbiter.error.ArbiterException.Upstream} for an error event or a frame that is not valid.
 */
public interface StreamDecoder {
    List<StreamEvent> decode(SseEvent event);

    boolean complete();
}
