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

    /** A function call; {@code arguments} is JSON text. */
    public record ToolCall(String id, String name, String arguments) {
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
     * no text. {@code outputTokens} is what it counts toward usage.
     */
    public record Alternative(int index, List<String> tokens, ToolCall toolCall, Finish finish, int outputTokens) {
        public Alternative {
            tokens = List.copyOf(tokens);
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
