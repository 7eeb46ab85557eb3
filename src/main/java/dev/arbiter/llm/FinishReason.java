package dev.arbiter.llm;

/** Why generation stopped, as a superset of the formats' stop and finish reasons. */
public enum FinishReason {
    STOP,
    STOP_SEQUENCE,
    LENGTH,
    TOOL_CALLS,
    CONTENT_FILTER,
    PAUSE,
    REFUSAL;

    public String toOpenAi() {
        return switch (this) {
            case STOP, STOP_SEQUENCE, PAUSE -> "stop";
            case LENGTH -> "length";
            case TOOL_CALLS -> "tool_calls";
            case CONTENT_FILTER, REFUSAL -> "content_filter";
        };
    }

    public static FinishReason fromOpenAi(String s) {
        if (s == null) return STOP;
        return switch (s) {
            case "length" -> LENGTH;
            case "tool_calls", "function_call" -> TOOL_CALLS;
            case "content_filter" -> CONTENT_FILTER;
            default -> STOP;
        };
    }

    public String toAnthropic() {
        return switch (this) {
            case STOP, CONTENT_FILTER -> "end_turn";
            case STOP_SEQUENCE -> "stop_sequence";
            case LENGTH -> "max_tokens";
            case TOOL_CALLS -> "tool_use";
            case PAUSE -> "pause_turn";
            case REFUSAL -> "refusal";
        };
    }

    public static FinishReason fromAnthropic(String s) {
        if (s == null) return STOP;
        return switch (s) {
            case "max_tokens", "model_context_window_exceeded" -> LENGTH;
            case "tool_use" -> TOOL_CALLS;
            case "stop_sequence" -> STOP_SEQUENCE;
            case "pause_turn" -> PAUSE;
            case "refusal" -> REFUSAL;
            default -> STOP;
        };
    }
}
