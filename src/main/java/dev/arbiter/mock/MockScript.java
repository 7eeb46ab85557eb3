package dev.arbiter.mock;

import java.util.ArrayList;
import java.util.List;

/**
 * A stream written in full up front, as an ordered list of events some of which are tokens; the events are then
 * cut into the head, token steps and tail that {@link MockUpstream} paces. The head is everything before the first
 * token; step {@code s} is the events after token {@code s - 1} up to and including token {@code s} (so item and
 * block boundaries between two tokens go out with the later token); the tail is everything after the last token.
 * Used for the typed-event formats (Responses, Anthropic Messages), whose events carry running sequence numbers or
 * block indexes that are simplest to assign in one pass.
 */
final class MockScript implements MockUpstream.Script {
    private final List<byte[]> events = new ArrayList<>();
    private final List<Integer> tokens = new ArrayList<>();
    private byte[] malformed;

    /** Appends an event that is not a token. */
    MockScript add(byte[] event) {
        events.add(event);
        return this;
    }

    /** Appends a token event: one step of the stream. */
    MockScript token(byte[] event) {
        tokens.add(events.size());
        events.add(event);
        return this;
    }

    /** Sets the event that replaces the first token in a malformed stream. */
    MockScript malformed(byte[] event) {
        malformed = event;
        return this;
    }

    @Override
    public List<byte[]> head() {
        return events.subList(0, tokens.isEmpty() ? 0 : tokens.getFirst());
    }

    @Override
    public int steps() {
        return tokens.size();
    }

    @Override
    public List<byte[]> step(int s) {
        int from = s == 0 ? tokens.getFirst() : tokens.get(s - 1) + 1;
        return events.subList(from, tokens.get(s) + 1);
    }

    @Override
    public List<byte[]> tail() {
        return events.subList(tokens.isEmpty() ? 0 : tokens.getLast() + 1, events.size());
    }

    @Override
    public byte[] malformed() {
        return malformed;
    }
}
