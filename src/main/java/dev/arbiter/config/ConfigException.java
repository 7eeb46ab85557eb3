package dev.arbiter.config;

import java.util.ArrayList;
import java.util.List;

/** An invalid configuration: every problem found, each as {@code path: value (expected: ...)}. */
public final class ConfigException extends RuntimeException {
    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(String.join("\n", problems), null, false, false);
        this.problems = List.copyOf(problems);
    }

    public ConfigException(String problem) {
        this(List.of(problem));
    }

    public List<String> problems() {
        return problems;
    }

    /** Formats one problem the way every config error reads. */
    public static String problem(String path, Object value, String expected) {
        return path + ": " + value + " (expected: " + expected + ")";
    }

    /** Throws when {@code ok} is false; used by the config records' compact constructors. */
    public static void require(boolean ok, String path, Object value, String expected) {
        if (!ok) throw new ConfigException(problem(path, value, expected));
    }

    /**
     * The checks of one record's compact constructor, collected: a record with several bad fields reports every one
     * of them ({@code weight: -1} must not hide a bad {@code base-url}). End with {@link #throwIfAny()}.
     */
    public static final class Checks {
        private final List<String> problems = new ArrayList<>();

        public Checks require(boolean ok, String path, Object value, String expected) {
            if (!ok) problems.add(problem(path, value, expected));
            return this;
        }

        public void throwIfAny() {
            if (!problems.isEmpty()) throw new ConfigException(problems);
        }
    }
}
