package dev.arbiter.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.arbiter.llm.RequestKey;
import java.time.InstantSource;
import java.util.Optional;

/**
 * The in-process tier: Caffeine, bounded by the answers' serialised bytes (a weigher), W-TinyLFU eviction, each
 * entry expiring at its own time on the injected clock (Caffeine's ticker reads it too). Holds the decoded answer, so
 * a hit costs no decoding.
 */
final class MemoryTier implements Tier {
    private record Entry(CacheKey key, CachedAnswer answer, int weight) {}

    private final Cache<RequestKey, Entry> cache;
    private final InstantSource clock;

    MemoryTier(long maxBytes, InstantSource clock) {
        this.clock = clock;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((RequestKey k, Entry e) -> e.weight())
                .expireAfter(new Expiry<RequestKey, Entry>() {
                    @Override
                    public long expireAfterCreate(RequestKey k, Entry e, long now) {
                        return left(e);
                    }

                    @Override
                    public long expireAfterUpdate(RequestKey k, Entry e, long now, long current) {
                        return left(e);
                    }

                    @Override
                    public long expireAfterRead(RequestKey k, Entry e, long now, long current) {
                        return current;
                    }
                })
                .ticker(() -> clock.millis() * 1_000_000L)
                .executor(Runnable::run)   // evict on the calling thread: no pool thread per gateway, and tests see it at once
                .recordStats()
                .build();
    }

    private long left(Entry e) {
        return Math.max(0, e.answer().expiresMillis() - clock.millis()) * 1_000_000L;
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public Optional<CachedAnswer> get(CacheKey key, long nowMillis) {
        Entry e = cache.getIfPresent(key.key());
        if (e == null || e.answer().expired(nowMillis)) return Optional.empty();
        return Optional.of(e.answer());
    }

    @Override
    public void put(CacheKey key, CachedAnswer answer, byte[] bytes) {
        // a weight counts the key and the entry's bookkeeping too, about 200 bytes
        cache.put(key.key(), new Entry(key, answer, bytes.length + 200));
    }

    @Override
    public long purge(Purge purge) {
        if (purge.equals(Purge.ALL)) {
            long n = cache.estimatedSize();
            cache.invalidateAll();
            return n;
        }
        long[] n = {0};
        cache.asMap().values().removeIf(e -> {
            boolean m = purge.matches(e.key());
            if (m) n[0]++;
            return m;
        });
        return n[0];
    }

    long weightedBytes() {
        return cache.policy().eviction().map(ev -> ev.weightedSize().orElse(0L)).orElse(0L);
    }

    long entries() {
        return cache.estimatedSize();
    }

    long evictions() {
        return cache.stats().evictionCount();
    }
}
