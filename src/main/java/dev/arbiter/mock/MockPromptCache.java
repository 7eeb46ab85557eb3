package dev.arbiter.mock;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fake's prompt cache: which prompt prefixes it has seen, as 64-bit hashes of their content (and model), so it
 * can report cache writes and reads as the real APIs do, deterministically. Bounded: the least recently used of at
 * most {@link #CAPACITY} prefixes is forgotten first. A lock guards the map; only requests that use caching touch it
 * (Anthropic {@code cache_control}, Responses), so the plain chat path never contends on it.
 */
final class MockPromptCache {
    static final int CAPACITY = 4096;

    /** The end of a cacheable prefix: its hash and its length in characters of prompt text. */
    record Prefix(long hash, long chars) {}

    /** What one request reads from and writes to the cache, in tokens. */
    record Hit(long readTokens, long writeTokens) {
        static final Hit NONE = new Hit(0, 0);
    }

    private final Map<Long, Boolean> seen = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
            return size() > CAPACITY;
        }
    };

    /**
     * Looks up {@code prefixes} (shortest first): the longest one seen before is read; when the longest of all
     * was not seen, what it adds beyond the read part is written ({@code write} prefixes only, so a lookup-only
     * caller writes nothing). Then every prefix in {@code write} is remembered.
     */
    synchronized Hit use(List<Prefix> prefixes, List<Prefix> write) {
        if (prefixes.isEmpty()) return Hit.NONE;
        long read = 0;
        for (Prefix p : prefixes) if (seen.get(p.hash()) != null) read = tokens(p.chars());
        long written = 0;
        if (!write.isEmpty()) {
            Prefix last = write.getLast();
            if (seen.get(last.hash()) == null) written = Math.max(0, tokens(last.chars()) - read);
            for (Prefix p : write) seen.put(p.hash(), Boolean.TRUE);
        }
        return new Hit(read, written);
    }

    synchronized void clear() {
        seen.clear();
    }

    /** Tokens of a prefix, counted as {@link MockEngine#countTokens} does but without its floor of 1. */
    static long tokens(long chars) {
        return (chars + 3) / 4;
    }
}
