package dev.arbiter.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.regex.Pattern;

/** How the config reads its scalars: integers, numbers, booleans, durations, and references to the environment. */
final class Scalars {
    /** {@code ${VAR}} or {@code ${VAR:-default}}. */
    static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)?");

    private Scalars() {
    }

    // The parsers return null for a value of the wrong type, which ConfigNode reports as a problem. They are
    // plain methods on purpose: a conditional expression mixing long and Long unboxes its null and throws.

    /** An integer that fits a long: a YAML integer, or a string of digits (e.g. from an environment variable). */
    static Long parseLong(JsonNode n) {
        if (n.isIntegralNumber()) {
            if (!n.canConvertToLong()) return null;
            return n.asLong();
        }
        if (!n.isTextual() || !n.asText().trim().matches("-?\\d{1,19}")) return null;
        try {
            return Long.parseLong(n.asText().trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static Double parseDouble(JsonNode n) {
        double d;
        if (n.isNumber()) d = n.asDouble();
        else if (!n.isTextual()) return null;
        else {
            try {
                d = Double.parseDouble(n.asText().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return Double.isFinite(d) ? d : null;
    }

    static Boolean parseBoolean(JsonNode n) {
        if (n.isBoolean()) return n.asBoolean();
        if (n.isTextual() && (n.asText().equals("true") || n.asText().equals("false"))) return Boolean.parseBoolean(n.asText());
        return null;
    }

    static Duration parseDuration(JsonNode n) {
        if (n.isNumber()) return Duration.ofMillis(Math.round(n.asDouble() * 1000));
        if (!n.isTextual()) return null;
        var m = DURATION.matcher(n.asText().trim());
        if (!m.matches()) return null;
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        double millis = switch (unit) {
            case "ms" -> v;
            case "s" -> v * 1000;
            case "m" -> v * 60_000;
            case "h" -> v * 3_600_000;
            default -> v * 86_400_000;
        };
        return Duration.ofNanos(Math.round(millis * 1_000_000));
    }
}
