package dev.arbiter.wire;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.SseEvent;
import java.io.IOException;
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

    /** An event's data as a JSON object; anything else is the upstream's fault (502). */
    static JsonNode eventObject(String data) {
        try {
            JsonNode n = Json.MAPPER.readTree(data);
            if (n != null && n.isObject()) return n;
        } catch (IOException e) {
            // reported below
        }
        throw new ArbiterException.Upstream(502, "upstream sent a stream event that is not a JSON object",
                "upstream_bad_response", null);
    }
}
