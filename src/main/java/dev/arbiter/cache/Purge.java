package dev.arbiter.cache;

/**
 * What a purge removes (from the exact cache's tiers, and from the semantic cache): everything when all are null;
 * else the entries of a namespace (a scope, and those narrowed from it), of a logical model, or one key (its hex id).
 * Conditions given together must all hold.
 */
public record Purge(String namespace, String model, String key) {
    public static final Purge ALL = new Purge(null, null, null);

    /**
     * The SQL condition that selects this purge's rows in a table with {@code scope} and {@code model} columns and the
     * key's hex in {@code keyColumn}; its parameters are set by {@link #bind}.
     */
    public String sqlCondition(String keyColumn) {
        var sql = new StringBuilder("true");
        if (namespace != null) sql.append(" AND (scope = ? OR starts_with(scope, ?))");
        if (model != null) sql.append(" AND model = ?");
        if (key != null) sql.append(" AND ").append(keyColumn).append(" = ?");
        return sql.toString();
    }

    /** Sets the parameters of {@link #sqlCondition}, from the first. */
    public void bind(java.sql.PreparedStatement ps) throws java.sql.SQLException {
        int i = 1;
        if (namespace != null) {
            ps.setString(i++, namespace);
            ps.setString(i++, namespace + "/");
        }
        if (model != null) ps.setString(i++, model);
        if (key != null) ps.setString(i, key.toLowerCase(java.util.Locale.ROOT));
    }

    /** Whether the entry stored under {@code k} is selected. */
    public boolean matches(CacheKey k) {
        return (namespace == null || k.scope().equals(namespace) || k.scope().startsWith(namespace + "/"))
                && (model == null || model.equals(k.model()))
                && (key == null || key.equalsIgnoreCase(k.id()));
    }
}
