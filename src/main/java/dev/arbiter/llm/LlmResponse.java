package dev.arbiter.llm;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A complete (non-streamed) answer in the internal model. {@code raw} is the upstream body as parsed and
 * {@code format} its wire format: an encoder for that same format returns {@code raw} (with the served
 * model name), so fields Arbiter does not model reach the client unchanged. Embedding answers are carried
 * in {@code raw} only, with their usage.
 */
public record LlmResponse(String id, String model, long created, List<Choice> choices, Usage usage,
                          WireFormat format, ObjectNode raw) {
    public LlmResponse {
        choices = choices == null ? List.of() : List.copyOf(choices);
        usage = usage == null ? Usage.NONE : usage;
    }

    public LlmResponse withUsage(Usage u) {
        return new LlmResponse(id, model, created, choices, u, format, raw);
    }

    /** The first choice's message, or an empty assistant message. */
    public Message firstMessage() {
        return choices.isEmpty() ? new Message(Role.ASSISTANT, List.of(), null, null) : choices.getFirst().message();
    }
}
