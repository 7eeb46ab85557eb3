package dev.arbiter.llm;

import java.util.List;

/**
 * One upstream stream frame: the wire event as it came ({@code raw}, in {@code format}) and the typed events
 * decoded from it. A client speaking {@code format} gets {@code raw} unchanged; any other client gets its own
 * encoding of {@code events}.
 */
public record Frame(WireFormat format, SseEvent raw, List<StreamEvent> events) {
    public Frame {
        events = events == null ? List.of() : List.copyOf(events);
    }

    public static Frame of(WireFormat format, SseEvent raw, StreamEvent... events) {
        return new Frame(format, raw, List.of(events));
    }
}
