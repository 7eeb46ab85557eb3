package dev.arbiter.store;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.Section;
import java.time.Duration;

/** Bounds of the response store: how many, how many bytes in all, and for how long. */
public record StoreConfig(int maxEntries, long maxBytes, Duration ttl) {
    public static final StoreConfig DEFAULT = new StoreConfig(10_000, 256L * 1024 * 1024, Duration.ofHours(24));

    /** The {@code responses:} block. */
    public static final Section<StoreConfig> SECTION = Section.top("responses", DEFAULT, n -> new StoreConfig(
            n.integer("max-entries", DEFAULT.maxEntries()), n.longValue("max-bytes", DEFAULT.maxBytes()),
            n.duration("ttl", DEFAULT.ttl())));

    public StoreConfig {
        ConfigException.require(maxEntries >= 1, "responses.max-entries", maxEntries, ">= 1");
        ConfigException.require(maxBytes >= 1024, "responses.max-bytes", maxBytes, ">= 1024");
        ConfigException.require(ttl != null && !ttl.isNegative() && !ttl.isZero(), "responses.ttl", ttl, "a positive duration");
    }

    public ResponseStore create() {
        return new MemoryResponseStore(maxEntries, maxBytes, ttl);
    }
}
