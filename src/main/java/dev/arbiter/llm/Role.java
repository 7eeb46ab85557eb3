package dev.arbiter.llm;

import java.util.Locale;
import java.util.Optional;

/** Message roles, in OpenAI's vocabulary; Anthropic's system prompt becomes a SYSTEM message. */
public enum Role {
    SYSTEM,
    DEVELOPER,
    USER,
    ASSISTANT,
    TOOL;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Role> parse(String s) {
        if (s == null) return Optional.empty();
        return switch (s) {
            case "system" -> Optional.of(SYSTEM);
            case "developer" -> Optional.of(DEVELOPER);
            case "user" -> Optional.of(USER);
            case "assistant" -> Optional.of(ASSISTANT);
            case "tool", "function" -> Optional.of(TOOL);
            default -> Optional.empty();
        };
    }
}
