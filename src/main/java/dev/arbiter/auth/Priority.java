package dev.arbiter.auth;

import java.util.Locale;
import java.util.Optional;

/** The four priority classes a request may have, highest first; a key's own and its maximum are among them. */
public enum Priority {
    CRITICAL, HIGH, NORMAL, LOW;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Priority> parse(String s) {
        if (s == null) return Optional.empty();
        for (Priority p : values()) if (p.label().equalsIgnoreCase(s.strip())) return Optional.of(p);
        return Optional.empty();
    }

    /** This class, lowered to {@code max} when it is above it. */
    public Priority cappedAt(Priority max) {
        return ordinal() < max.ordinal() ? max : this;
    }
}
