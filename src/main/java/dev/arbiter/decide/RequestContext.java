package dev.arbiter.decide;

import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.Role;
import dev.arbiter.wire.TokenCounter;
import java.util.HashSet;
import java.util.Set;

/**
 * What a decision knows about a request: estimated input tokens (the tokenizer), the output budget it set, the
 * capabilities it needs (tools, vision for images, json for a JSON response format, reasoning when it asks for an
 * effort or a thinking budget, streaming), its task type and its feature vector, and the caller's own limits
 * (0 when none: the route's apply).
 */
record RequestContext(long inputTokens, long outputTokens, Set<String> capabilities, String taskType, double[] features,
                      double maxCost, double minQuality) {
    RequestContext(long inputTokens, long outputTokens, Set<String> capabilities, String taskType, double[] features) {
        this(inputTokens, outputTokens, capabilities, taskType, features, 0, 0);
    }

    /** This context with the caller's own tighter limits ({@code x-arbiter-max-cost}, {@code x-arbiter-min-quality}). */
    RequestContext limitedBy(double maxCostUsd, double minQualityPrior) {
        return new RequestContext(inputTokens, outputTokens, capabilities, taskType, features, maxCostUsd, minQualityPrior);
    }

    /** This context with other features (the text features and the prompt's embedding). */
    RequestContext withFeatures(double[] x) {
        return new RequestContext(inputTokens, outputTokens, capabilities, taskType, x, maxCost, minQuality);
    }

    /** The text the features are read from: the last user turn, or a Responses request's plain-text input. */
    static String prompt(LlmRequest req) {
        String last = "";
        for (Message m : req.messages()) {
            if (m.role() == Role.USER) {
                var sb = new StringBuilder();
                for (Part p : m.parts()) if (p instanceof Part.Text t) sb.append(t.text()).append('\n');
                last = sb.toString();
            }
        }
        if (last.isEmpty() && req.input() != null && req.input().isTextual()) last = req.input().asText();
        return last;
    }

    static RequestContext of(LlmRequest req) {
        var caps = new HashSet<String>();
        if (!req.tools().isEmpty()) caps.add("tools");
        if (req.responseFormat() != null && !req.responseFormat().path("type").asText("text").equals("text")) caps.add("json");
        if (req.reasoningEffort() != null || req.thinkingBudget() != null) caps.add("reasoning");
        if (req.stream()) caps.add("streaming");
        for (Message m : req.messages()) {
            for (Part p : m.parts()) if (p instanceof Part.Image) caps.add("vision");
        }
        String last = prompt(req);
        long in = TokenCounter.countInput(req);
        long out = req.maxTokens() == null ? 0 : req.maxTokens();
        double[] x = Features.of(last, caps.contains("tools"), caps.contains("vision"), caps.contains("json"));
        return new RequestContext(in, out, Set.copyOf(caps), TaskType.of(last), x);
    }
}
