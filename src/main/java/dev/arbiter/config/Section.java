package dev.arbiter.config;

import java.util.Objects;
import java.util.function.Function;

/**
 * One block of the configuration that a feature owns: its key, where the key sits ({@link Scope}), the feature's
 * record when the block is absent, and the binder that reads the block into that record. A feature declares its
 * section beside its record ({@code StoreConfig.SECTION}); the CLI wiring lists the sections once, and the
 * {@link ConfigLoader} binds each. Adding a section is the record plus that one line: the loader derives the keys
 * it expects from what the binders read, and reports every problem with its path.
 *
 * <p>A binder reads its block through a {@link ConfigNode} and returns the record. It reports what it cannot read
 * as problems on the node instead of throwing, and a record whose compact constructor throws a
 * {@link ConfigException} has its problems put under the block's path. It is called only when the block is present;
 * an absent block reads as {@link #defaults()}.
 *
 * <p>Sections are compared by identity, like typed attribute keys: look a value up with the constant that bound it.
 *
 * @param <T> the feature's config record
 */
public final class Section<T> {
    /** Where a section's key sits in the file. */
    public enum Scope {
        /** At the top, beside {@code server} and {@code models}. */
        TOP,
        /** In each entry of {@code models}, beside {@code name} and {@code deployments}. */
        MODEL,
        /** In each entry of a model's {@code deployments}, beside {@code provider} and {@code base-url}. */
        DEPLOYMENT
    }

    private final Scope scope;
    private final String key;
    private final T defaults;
    private final Function<ConfigNode, T> binder;

    private Section(Scope scope, String key, T defaults, Function<ConfigNode, T> binder) {
        this.scope = Objects.requireNonNull(scope, "scope");
        this.key = Objects.requireNonNull(key, "key");
        this.defaults = Objects.requireNonNull(defaults, "defaults");
        this.binder = Objects.requireNonNull(binder, "binder");
        if (!key.matches("[a-z][a-z0-9]*(-[a-z0-9]+)*")) {
            throw new IllegalArgumentException("section key: " + key + " (expected: a kebab-case key such as circuit-breaker)");
        }
    }

    /** A section at the top of the file, e.g. {@code responses:}. */
    public static <T> Section<T> top(String key, T defaults, Function<ConfigNode, T> binder) {
        return new Section<>(Scope.TOP, key, defaults, binder);
    }

    /** A section in each model, e.g. {@code models[].retry:}. */
    public static <T> Section<T> perModel(String key, T defaults, Function<ConfigNode, T> binder) {
        return new Section<>(Scope.MODEL, key, defaults, binder);
    }

    /** A section in each deployment, e.g. {@code models[].deployments[].mock:}. */
    public static <T> Section<T> perDeployment(String key, T defaults, Function<ConfigNode, T> binder) {
        return new Section<>(Scope.DEPLOYMENT, key, defaults, binder);
    }

    public Scope scope() {
        return scope;
    }

    public String key() {
        return key;
    }

    /** The record an absent block stands for. */
    public T defaults() {
        return defaults;
    }

    /** Reads a present block; null only when the block had problems, which are then on the node. */
    public T bind(ConfigNode node) {
        return binder.apply(node);
    }

    @Override
    public String toString() {
        return switch (scope) {
            case TOP -> key;
            case MODEL -> "models[]." + key;
            case DEPLOYMENT -> "models[].deployments[]." + key;
        };
    }
}
