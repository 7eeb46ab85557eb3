package dev.arbiter.mock;

import java.util.ArrayList;
import java.util.List;

/**
 * What the fake model answers to one prompt: {@code n} alternatives, and the usage of the whole call
 * ({@code outputTokens} sums the alternatives, as OpenAI counts {@code n > 1}).
 */
public record MockAnswer(List<Alternative> alternatives, int inputTokens, int outputTokens) {

    public MockAnswer {
        alternatives = List.copyOf(alternatives);
    }

    /** Why an alternative stopped. */
    public enum Finish {
        STOP,
        LENGTH,
        TOOL_CALLS;

        public String openAi() {
            return switch (this) {
                case STOP -> "stop";
                case LENGTH -> "length";
                case TOOL_CALLS -> "tool_calls";
            };
        }

        public String anthropic() {
            return switch (this) {
                case STOP -> "end_turn";
                case LENGTH -> "max_tokens";
                case TOOL_CALLS -> "tool_use";
            };
        }
    }

    /**
     * A tool call: a function call whose {@code arguments} is JSON text, or, when {@code custom}, a freeform (custom)
     * tool call whose {@code arguments} is its raw input text.
     */
    public record ToolCall(String id, String name, String arguments, boolean custom) {
        public ToolCall(String id, String name, String arguments) {
            this(id, name, arguments, false);
        }

        /** The arguments in two or three fragments, as a stream sends them; joined they give {@code arguments}. */
        public List<String> fragments() {
            int len = arguments.length();
            int pieces = Math.min(3, len);
            var out = new ArrayList<String>(pieces);
            for (int i = 0; i < pieces; i++) out.add(arguments.substring(len * i / pieces, len * (i + 1) / pieces));
            return out;
        }
    }

    /**
     * One generated alternative: text as {@code tokens} (joined they give {@link #text()}), or a tool call, with
     * no text; both may be preceded by {@code reasoning} tokens (empty when the request asked for none).
     * {@code outputTokens} is what it counts toward usage, reasoning included.
     */
    public record Alternative(int index, List<String> tokens, ToolCall toolCall, Finish finish, int outputTokens,
                              List<String> reasoning) {
        public Alternative {
            tokens = List.copyOf(tokens);
            reasoning = reasoning == null ? List.of() : List.copyOf(reasoning);
        }

        public Alternative(int index, List<String> tokens, ToolCall toolCall, Finish finish, int outputTokens) {
            this(index, tokens, toolCall, finish, outputTokens, List.of());
        }

        public boolean hasReasoning() {
            return !reasoning.isEmpty();
        }

        /** The reasoning tokens joined; empty when there is none. */
        public String reasoningText() {
            return String.join("", reasoning);
        }

        public boolean isToolCall() {
            return toolCall != null;
        }

        public String text() {
            return String.join("", tokens);
        }

        /** What a stream sends for this alternative, one piece per token: the tokens or the argument fragments. */
        public List<String> deltas() {
            return toolCall != null ? toolCall.fragments() : tokens;
        }
    }
}
