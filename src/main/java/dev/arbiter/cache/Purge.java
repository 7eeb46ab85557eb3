package dev.arbiter.cache;

/**
 * What a purge removes (from the exact cache's tiers, and from the semantic cache): everything when all are null;
 * else the entries of a namespace (a scope, and those narrowed from it), of a logical model, or one key (its hex id).
 * Conditions given together must all hold.
 */
public record Purge(String namespace, String model, String key) {
    public static final Purge ALL = new Purge(null, null, null);

    /** Whether the entry stored under {@code k} is selected. */
    public boolean matches(CacheKey k) {
        return (namespace == null || k.scope().equals(namespace) || k.scope().startsWith(namespace + "/"))
                && (model == null || model.equals(k.model()))
                && (key == null || key.equalsIgnoreCase(k.id()));
    }
}
