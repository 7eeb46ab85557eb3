package dev.arbiter.cache;

import dev.arbiter.llm.RequestKey;

/**
 * Where an answer is kept: the request's key (which already covers the scope), and the scope and logical model
 * beside it, so that a purge can find every entry of a namespace or a model.
 *
 * @param scope the caller id, or the shared namespace, with any {@code x-arbiter-cache-namespace} narrowing after a {@code /}
 * @param model the logical model the request named
 */
public record CacheKey(String scope, String model, RequestKey key) {
    /** The key's digest in hex: what the admin API and the tiers' rows name. */
    public String id() {
        return key.hex();
    }
}
