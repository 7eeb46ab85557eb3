package dev.arbiter.llm;

/** How the model may use tools. */
public sealed interface ToolChoice {
    record Auto() implements ToolChoice {}

    record None() implements ToolChoice {}

    /** The model must call some tool (OpenAI "required", Anthropic "any"). */
    record Required() implements ToolChoice {}

    /** The model must call this tool. */
    record Named(String name) implements ToolChoice {}
}
