package dev.arbiter.observe;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code observe.log-content}: prompt and completion logging, off unless turned on. Each logged text has every match
 * of the built-in patterns (API keys and bearer tokens as providers and Arbiter shape them) and of {@code redact} (the
 * operator's own, e.g. card or phone numbers) replaced by {@code [REDACTED]}, then is cut to {@code max-chars}.
 */
public record ContentLogConfig(boolean enabled, List<Pattern> redact, int maxChars) {
    /** Shapes of secrets that must never reach a log even when prompts do: provider and Arbiter keys, bearer tokens. */
    static final List<Pattern> BUILT_IN = List.of(
            Pattern.compile("\\b(?:sk|ak|rk|pk)-[A-Za-z0-9_\\-]{16,}"),
            Pattern.compile("\\bsk-ant-[A-Za-z0-9_\\-]{16,}"),
            Pattern.compile("\\b(?:gsk|xai|hf)_[A-Za-z0-9]{16,}"),
            Pattern.compile("(?i)\\bbearer\\s+[A-Za-z0-9._~+/\\-]{16,}=*"),
            Pattern.compile("\\bAKIA[0-9A-Z]{16}\\b"));

    public static final ContentLogConfig OFF = new ContentLogConfig(false, List.of(), 4096);

    public ContentLogConfig {
        redact = List.copyOf(redact);
        ConfigException.require(maxChars >= 16 && maxChars <= 1_000_000, "observe.log-content.max-chars", maxChars, "16..1000000");
    }

    /** {@code text} with every secret-shaped and configured match replaced, cut to {@code max-chars}. */
    String redacted(String text) {
        if (text == null) return null;
        String t = text.length() > 4 * maxChars ? text.substring(0, 4 * maxChars) : text;   // bound the regex work
        for (Pattern p : BUILT_IN) t = p.matcher(t).replaceAll("[REDACTED]");
        for (Pattern p : redact) t = p.matcher(t).replaceAll("[REDACTED]");
        return t.length() > maxChars ? t.substring(0, maxChars) + "...[cut]" : t;
    }

    static ContentLogConfig bind(ConfigNode n) {
        if (!n.present()) return OFF;
        if (n.raw().isBoolean()) return n.raw().booleanValue() ? new ContentLogConfig(true, List.of(), OFF.maxChars()) : OFF;
        boolean enabled = n.bool("enabled", true);
        var patterns = new ArrayList<Pattern>();
        List<ConfigNode> items = n.list("redact");
        for (int i = 0; i < items.size(); i++) {
            String s = items.get(i).text();
            if (s == null) continue;
            try {
                patterns.add(Pattern.compile(s));
            } catch (PatternSyntaxException e) {
                n.problem(n.path() + ".redact[" + i + "]", s, "a regular expression (" + e.getDescription() + ")");
            }
        }
        int max = n.integer("max-chars", OFF.maxChars());
        ContentLogConfig c = n.build(() -> new ContentLogConfig(enabled, patterns, max));
        return c == null ? OFF : c;
    }
}
