package dev.arbiter.llm;

/**
 * One typed event of a streamed answer, in the internal model. Upstream decoders turn each wire frame into
 * zero or more of these; the encoder of another format turns them, one by one as they arrive, into its own
 * frames. {@code choice} is the OpenAI choice index (0 for formats with one answer); {@code index} numbers
 * the tool calls within a choice.
 */
public sealed interface StreamEvent {
    /** The answer has started; {@code inputTokens} is known here for some upstreams (0 when not). */
    record Started(String id, String model, long inputTokens) implements StreamEvent {}

    record TextDelta(int choice, String text) implements StreamEvent {}

    /** Reasoning text as it is generated (Anthropic thinking_delta, chat reasoning_content). */
    record ReasoningDelta(int choice, String text) implements StreamEvent {}

    /**
     * The opaque signature closing a reasoning block (Anthropic signature_delta, Responses encrypted_content), and
     * the upstream's id of the reasoning item when it has one (Responses), which must go back with it.
     */
    record ReasoningSignature(int choice, String signature, String itemId) implements StreamEvent {
        public ReasoningSignature(int choice, String signature) {
            this(choice, signature, null);
        }
    }

    /** A reasoning block whose content is hidden (Anthropic redacted_thinking). */
    record RedactedReasoning(int choice, String data) implements StreamEvent {}

    /** A tool call begins; {@code custom} marks a freeform tool whose input is raw text. */
    record ToolCallStarted(int choice, int index, String id, String name, boolean custom) implements StreamEvent {}

    /** A fragment of a tool call's JSON arguments (or a custom tool's raw input). */
    record ToolArgumentsDelta(int choice, int index, String fragment) implements StreamEvent {}

    record Finished(int choice, FinishReason reason, String stopSequence) implements StreamEvent {}

    /** Usage so far; the last one seen is the answer's usage. */
    record UsageReported(Usage usage) implements StreamEvent {}

    /** The upstream said the answer is complete ([DONE], message_stop, response.completed). */
    record Completed() implements StreamEvent {}
}
