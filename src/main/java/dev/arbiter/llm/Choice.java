package dev.arbiter.llm;

import com.fasterxml.jackson.databind.JsonNode;

/** One generated alternative: the assistant message and why it stopped. */
public record Choice(int index, Message message, FinishReason finishReason, String stopSequence, JsonNode logprobs) {}
