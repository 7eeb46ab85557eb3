package dev.arbiter.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.arbiter.pipeline.Caller;
import java.time.Duration;
import java.util.Optional;

/**
 * Stored responses in memory, bounded in count and bytes, each kept for a TTL after it was written.
 *
 * <p>Caffeine bounds either a count or a weight, not both; both are had by weighing each entry at least
 * {@code maxBytes / maxEntries}, so no more than {@code maxEntries} fit and large ones count by their size.
 * Keys are {@code caller + '\0' + id}, so a lookup by another caller cannot find the entry at all.
 */
public final class MemoryResponseStore implements ResponseStore {
    private final Cache<String, StoredResponse> cache;

    public MemoryResponseStore(int maxEntries, long maxBytes, Duration ttl) {
        long floor = Math.max(1, maxBytes / Math.max(1, maxEntries));
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((String k, StoredResponse v) -> (int) Math.min(Integer.MAX_VALUE, Math.max(floor, v.bytes())))
                .expireAfterWrite(ttl)
                .build();
    }

    private static String key(String id, String caller) {
        return caller + '\0' + id;
    }

    @Override
    public void put(StoredResponse response) {
        cache.put(key(response.id(), response.caller()), response);
    }

    @Override
    public Optional<StoredResponse> get(String id, Caller caller) {
        return Optional.ofNullable(cache.getIfPresent(key(id, caller.id())));
    }

    @Override
    public boolean delete(String id, Caller caller) {
        return cache.asMap().remove(key(id, caller.id())) != null;
    }

    /** Runs pending evictions; for tests. */
    void cleanUp() {
        cache.cleanUp();
    }

    long size() {
        return cache.estimatedSize();
    }
}
