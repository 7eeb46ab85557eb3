package dev.arbiter.config;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The records bound for the sections of one scope (the whole file, one model or one deployment), by section. A
 * section that was not bound, because its block was absent or it was not registered, reads as its default, so a
 * record built in code (a test's deployment) needs none of them.
 */
public final class SectionValues {
    public static final SectionValues NONE = new SectionValues(Map.of());

    private final Map<Section<?>, Object> values;

    private SectionValues(Map<Section<?>, Object> values) {
        this.values = values;
    }

    /** Just one section's record, e.g. a deployment's {@code mock} block in a test. */
    public static <T> SectionValues of(Section<T> section, T value) {
        return NONE.with(section, value);
    }

    /** These values and one more (replacing that section's, if bound). */
    public <T> SectionValues with(Section<T> section, T value) {
        var copy = new IdentityHashMap<Section<?>, Object>(values);
        copy.put(section, Objects.requireNonNull(value, section.key()));
        return new SectionValues(Collections.unmodifiableMap(copy));
    }

    /** The section's record, or its default when it was not bound. */
    public <T> T get(Section<T> section, Section.Scope scope) {
        if (section.scope() != scope) {
            throw new IllegalArgumentException("section " + section + " is not a " + scope.name().toLowerCase(Locale.ROOT) + " section");
        }
        @SuppressWarnings("unchecked") // with() stores only a T under a Section<T>
        T v = (T) values.get(section);
        return v == null ? section.defaults() : v;
    }

    /** Whether the section's block was bound (present in the file, or given in code). */
    public boolean bound(Section<?> section) {
        return values.containsKey(section);
    }

    @Override
    public String toString() {
        var sb = new StringBuilder("{");
        values.forEach((s, v) -> sb.append(sb.length() > 1 ? ", " : "").append(s.key()).append('=').append(v));
        return sb.append('}').toString();
    }
}
