package dev.arbiter.auth;

import dev.arbiter.config.ConfigException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What an API key allows, apart from its secret: who holds it (name, team, user), which models it may call
 * (names with {@code *} wildcards; none listed: every model), its priority and the highest it may ask for, when it
 * expires ({@link #NEVER}: never), its limits, budget and free-form metadata. Static keys read it from the config
 * file, virtual keys from the admin API.
 */
public record KeySpec(String name, String team, String user, List<String> models, Priority priority, Priority maxPriority,
                      Instant expiresAt, KeyLimits limits, KeyBudget budget, Map<String, String> metadata) {
    public static final Instant NEVER = Instant.MAX;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@:-]{0,63}");

    public KeySpec {
        ConfigException.require(name != null && NAME.matcher(name).matches(), "name", name,
                "1-64 letters, digits or . _ @ : - (starting with a letter or digit)");
        team = team == null ? "" : team;
        user = user == null ? "" : user;
        ConfigException.require(team.length() <= 128, "team", team, "at most 128 characters");
        ConfigException.require(user.length() <= 128, "user", user, "at most 128 characters");
        models = List.copyOf(models);
        for (String m : models) ConfigException.require(!m.isBlank(), "models", m, "model names or patterns such as gpt-4o*");
        priority = priority == null ? Priority.NORMAL : priority;
        maxPriority = maxPriority == null ? priority : maxPriority;
        ConfigException.require(priority.ordinal() >= maxPriority.ordinal(), "priority", priority.label(),
                "at most max-priority (" + maxPriority.label() + ")");
        expiresAt = expiresAt == null ? NEVER : expiresAt;
        limits = limits == null ? KeyLimits.NONE : limits;
        budget = budget == null ? KeyBudget.NONE : budget;
        metadata = Map.copyOf(metadata);
        ConfigException.require(metadata.size() <= 32, "metadata", metadata.size() + " entries", "at most 32");
    }

    /** Whether this key may call the model (by the name the client asked for). */
    public boolean allows(String model) {
        if (models.isEmpty()) return true;
        for (String p : models) if (matches(p, model)) return true;
        return false;
    }

    /** A glob match where {@code *} stands for any run of characters (none included). */
    static boolean matches(String pattern, String s) {
        int p = 0, i = 0, star = -1, mark = 0;
        while (i < s.length()) {
            if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = i;
            } else if (p < pattern.length() && pattern.charAt(p) == s.charAt(i)) {
                p++;
                i++;
            } else if (star >= 0) {
                p = star + 1;
                i = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') p++;
        return p == pattern.length();
    }
}
