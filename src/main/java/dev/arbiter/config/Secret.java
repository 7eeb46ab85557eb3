package dev.arbiter.config;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A credential read from config. Its {@link #toString()} never shows the value, so a secret that ends up in
 * a log line, an error or a config dump prints as {@code ****}; only {@link #reveal()} gives it, for the one
 * place that sends it upstream.
 */
public final class Secret {
    private static final Pattern CREDENTIAL_NAME = Pattern.compile(
            "(.*[-_])?(key|token|bearer|pass)([-_].*)?|.*(secret|passw|credential|apikey|auth|cookie|signature|private).*");

    private final String value;
    private final String source;

    public Secret(String value, String source) {
        this.value = value;
        this.source = source;
    }

    public String reveal() {
        return value;
    }

    /** Where it came from, safe to show, e.g. "${OPENAI_API_KEY}". */
    public String source() {
        return source;
    }

    public boolean isEmpty() {
        return value == null || value.isEmpty();
    }

    /**
     * Whether the config key at {@code path} (e.g. {@code models[0].deployments[1].api-key}) holds a credential, so
     * its value is never shown: any key named like one, and every extra header sent upstream (a header's name does
     * not say whether its value is a key).
     */
    public static boolean heldBy(String path) {
        String last = path.substring(path.lastIndexOf('.') + 1).replaceAll("\\[\\d+]$", "").toLowerCase(Locale.ROOT);
        return CREDENTIAL_NAME.matcher(last).matches() || path.contains(".headers.") || path.endsWith(".headers");
    }

    @Override
    public String toString() {
        return "****";
    }
}
