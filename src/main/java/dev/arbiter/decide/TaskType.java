package dev.arbiter.decide;

import java.util.Locale;

/**
 * A request's task type by keyword heuristics over its last user text: code, math, reasoning, extraction, else chat.
 * Cheap (one lower-casing and a few {@code contains}) and explainable; a learned classifier can replace it.
 */
final class TaskType {
    private TaskType() {
    }

    static String of(String text) {
        String t = text.length() > 4000 ? text.substring(0, 4000) : text;
        t = t.toLowerCase(Locale.ROOT);
        if (t.contains("```") || t.contains("def ") || t.contains("function") || t.contains("class ") || t.contains("stack trace")
                || t.contains("compile") || t.contains("refactor") || t.contains("bug")) return "code";
        int digits = 0;
        for (int i = 0; i < t.length(); i++) if (Character.isDigit(t.charAt(i))) digits++;
        if (t.contains("how many") || t.contains("calculate") || t.contains("solve") || t.contains("equation")
                || digits * 20 > t.length() && digits >= 3) return "math";
        if (t.contains("extract") || t.contains("json") || t.contains("list all") || t.contains("classify")) return "extraction";
        if (t.contains("why") || t.contains("prove") || t.contains("step by step") || t.contains("explain")) return "reasoning";
        return "chat";
    }
}
