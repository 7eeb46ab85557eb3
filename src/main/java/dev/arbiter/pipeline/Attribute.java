package dev.arbiter.pipeline;

/** A typed key for a per-request attribute on an {@link Exchange}. Compared by identity. */
public final class Attribute<T> {
    private final String name;
    private final Class<T> type;

    private Attribute(String name, Class<T> type) {
        this.name = name;
        this.type = type;
    }

    public static <T> Attribute<T> of(String name, Class<T> type) {
        return new Attribute<>(name, type);
    }

    public String name() {
        return name;
    }

    T cast(Object o) {
        return type.cast(o);
    }

    @Override
    public String toString() {
        return name;
    }
}
