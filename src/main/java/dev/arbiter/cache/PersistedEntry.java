package dev.arbiter.cache;

import dev.arbiter.cache.semantic.IndexEntry;
import dev.arbiter.llm.RequestKey;
import java.util.Objects;

/**
 * An index entry as the shared tiers keep it, so that a restarted or another gateway rebuilds its index: the entry
 * (whose id is the exact cache key of the stored answer), the scope and logical model of that key (the answer is
 * read from the exact cache's tiers under it), the embedder that made the vector, and when it was stored (a rebuild
 * takes the newest).
 */
record PersistedEntry(IndexEntry entry, String scope, String model, String embedder, long createdMillis) {
    PersistedEntry {
        Objects.requireNonNull(entry, "entry");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(embedder, "embedder");
        RequestKey.ofHex(entry.id());   // an id is an exact cache key, or the entry is not one
    }

    /** The exact cache key the answer is stored under. */
    CacheKey key() {
        return new CacheKey(scope, model, RequestKey.ofHex(entry.id()));
    }

    boolean selectedBy(Purge purge) {
        return purge.matches(key());
    }
}
