package dev.arbiter.cache;

import java.util.Optional;

/**
 * One level of the exact cache: memory, Redis or PostgreSQL. A tier beyond memory may fail or be slow; it is always
 * called through its {@link TierGuard}, which bounds each call's time and bypasses a tier that keeps failing, so its
 * methods may block and throw.
 */
interface Tier {
    String name();

    /** The answer stored under {@code key}, if any and not expired at {@code nowMillis}. */
    Optional<CachedAnswer> get(CacheKey key, long nowMillis) throws Exception;

    /** Stores {@code answer}, whose serialised form is {@code bytes}, until its expiry. */
    void put(CacheKey key, CachedAnswer answer, byte[] bytes) throws Exception;

    /** Removes what {@code purge} selects; the number removed (as far as the tier can tell). */
    long purge(Purge purge) throws Exception;
}
