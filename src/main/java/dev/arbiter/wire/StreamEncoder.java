package dev.arbiter.wire;

import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.SseEvent;
import java.util.List;

/**
 * Turns a streamed answer into one wire format's server-sent events, frame by frame as they arrive. One
 * instance per response; it is a small state machine (which blocks are open, what was sent). A frame
 * already in the client's format is passed on as it came.
 */
public interface StreamEncoder {
    /** The events to send for this frame, possibly none. */
    List<SseEvent> encode(Frame frame);

    /** The events that close a stream whose upstream completed (e.g. {@code data: [DONE]}). */
    List<SseEvent> finish();

    /** The event that reports a failure after the stream started. */
    List<SseEvent> error(ArbiterException e);

    /** A keep-alive for a stream that has been silent (an SSE comment, or Anthropic's ping). */
    SseEvent keepAlive();
}
