package dev.arbiter.pipeline;

/**
 * Who sent a request. Stored objects (responses, and limits and budgets) are scoped by {@link #id()}. An
 * authenticated caller also carries the name of its API key, its team and its user (each empty when it has none);
 * an unauthenticated one has only an id (a keyed hash of whatever credential it sent, or {@link #ANONYMOUS}).
 *
 * @param id   the scope of everything the caller owns; never a credential
 * @param key  the API key's name, empty when not authenticated
 * @param team the key's team, empty when none
 * @param user the key's user, empty when none
 */
public record Caller(String id, String key, String team, String user) {
    public static final Caller ANONYMOUS = new Caller("anonymous");

    public Caller {
        if (id == null || id.isBlank()) throw new IllegalArgumentException("caller id must not be blank");
        key = key == null ? "" : key;
        team = team == null ? "" : team;
        user = user == null ? "" : user;
    }

    /** An unauthenticated caller known only by its id. */
    public Caller(String id) {
        this(id, "", "", "");
    }

    /** Whether an API key authenticated this caller. */
    public boolean authenticated() {
        return !key.isEmpty();
    }
}
