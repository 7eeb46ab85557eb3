package dev.arbiter.cache;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.db.Postgres;
import dev.arbiter.db.Redis;
import dev.arbiter.wire.Json;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;





import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exact cache across its tiers, fastest first: memory, then Redis and PostgreSQL when configured.
 *
 * <p>Reads go through the tiers in order (read-through); an answer found in a slower tier is promoted to every faster
 * one. Writes go to memory at once and to the slower tiers through a bounded queue drained by one background thread
 * (write-through, asynchronous by default: the request never waits on Redis or PostgreSQL; a full queue drops the
 * write and counts it), or inline with {@code write: sync}. Every call to a slower tier goes through its
 * {@link TierGuard}: a time budget and a breaker, so a slow or broken tier costs a request at most its budget, and
 * nothing once its breaker opened.
 */
public final class ExactCache implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ExactCache.class);

    private final MemoryTier memory;
    private final List<TierGuard> remote;
    private final InstantSource clock;
    private final Duration budget;
    private final Duration writeBudget;
    private final boolean asyncWrites;
    private final long maxEntryBytes;
    private final WriteQueue writer;

    ExactCache(MemoryTier memory, List<Tier> remote, CacheConfig config, InstantSource clock) {
        this.memory = memory;
        this.clock = clock;
        this.budget = config.tierTimeout();
        this.writeBudget = config.tierTimeout().multipliedBy(10);
        this.asyncWrites = config.asyncWrites();
        this.maxEntryBytes = config.maxEntryBytes();
        var guards = new ArrayList<TierGuard>();
        for (Tier t : remote) guards.add(new TierGuard(t, config.tierRecovery()));
        this.remote = List.copyOf(guards);
        // one thread: writes are off the requests' path, and one writer keeps the order of writes to a key
        this.writer = new WriteQueue("arbiter-cache-writer", config.writeQueue());
    }

    /**
     * The cache as configured: memory, then each tier {@code config.tiers()} names whose store is configured ({@code redis}
     * and {@code postgres} may be null: that tier is left out, with a warning).
     */
    public static ExactCache create(CacheConfig config, Redis redis, Postgres postgres, InstantSource clock) {
        var remote = new ArrayList<Tier>();
        for (CacheConfig.TierKind k : config.tiers()) {
            switch (k) {
                case MEMORY -> { }
                case REDIS -> {
                    if (redis == null) log.warn("cache.tiers names redis but no redis: is configured; the tier is left out");
                    else remote.add(new RedisTier(redis, config.keyPrefix(), config.tierTimeout().toMillis() * 10));
                }
                case POSTGRES -> {
                    if (postgres == null) log.warn("cache.tiers names postgres but no postgres: is configured; the tier is left out");
                    else remote.add(new PostgresTier(postgres));
                }
            }
        }
        return new ExactCache(new MemoryTier(config.maxBytes(), clock), remote, config, clock);
    }

    /** The answer stored under {@code key}, from the fastest tier that has it (and then in every faster one too). */
    public Optional<CachedAnswer> get(CacheKey key) {
        long now = clock.millis();
        Optional<CachedAnswer> hit = memory.get(key, now);
        if (hit.isPresent()) return hit;
        for (int i = 0; i < remote.size(); i++) {
            TierGuard g = remote.get(i);
            Optional<CachedAnswer> found = g.call(() -> g.tier().get(key, now), budget).flatMap(o -> o);
            if (found.isPresent()) {
                promote(key, found.get(), i);
                return found;
            }
        }
        return Optional.empty();
    }

    private void promote(CacheKey key, CachedAnswer a, int foundAt) {
        byte[] bytes = AnswerCodec.encode(a);
        memory.put(key, a, bytes);
        for (int i = 0; i < foundAt; i++) write(remote.get(i), key, a, bytes);
    }

    /** Stores {@code answer} in every tier; false when it is larger than {@code exact.max-entry-bytes}. */
    public boolean put(CacheKey key, CachedAnswer answer) {
        byte[] bytes = AnswerCodec.encode(answer);
        if (bytes.length > maxEntryBytes) return false;
        memory.put(key, answer, bytes);
        for (TierGuard g : remote) write(g, key, answer, bytes);
        return true;
    }

    private void write(TierGuard g, CacheKey key, CachedAnswer a, byte[] bytes) {
        Runnable w = () -> g.call(() -> {
            g.tier().put(key, a, bytes);
            return Boolean.TRUE;
        }, writeBudget);
        if (!asyncWrites) {
            w.run();
            return;
        }
        writer.offer(w);
    }

    /** Removes what {@code purge} selects from every tier: the number removed per tier ({@code -1}: the tier failed). */
    public ObjectNode purge(Purge purge) {
        ObjectNode out = Json.object();
        out.put("memory", memory.purge(purge));
        for (TierGuard g : remote) {
            try {
                out.put(g.tier().name(), g.tier().purge(purge));
            } catch (Exception e) {
                log.warn("cache purge in {} failed: {}", g.tier().name(), e.toString());
                out.put(g.tier().name(), -1);
            }
        }
        return out;
    }

    /** Waits (at most {@code timeout}) until the writes queued so far are done: for tests and warm-up. */
    public boolean flush(Duration timeout) {
        return writer.flush(timeout);
    }

    long bytes() {
        return memory.weightedBytes();
    }

    long entries() {
        return memory.entries();
    }

    long evictions() {
        return memory.evictions();
    }

    long droppedWrites() {
        return writer.dropped();
    }

    /** Each tier's health, as the admin API shows it. */
    ObjectNode tiers() {
        ObjectNode out = Json.object();
        out.putObject("memory").put("state", "closed").put("bytes", bytes()).put("entries", entries()).put("evictions", evictions());
        for (TierGuard g : remote) {
            out.putObject(g.tier().name()).put("state", g.state()).put("failures", g.failures()).put("skipped", g.skipped());
        }
        return out;
    }

    List<String> tierNames() {
        var out = new ArrayList<String>();
        out.add("memory");
        for (TierGuard g : remote) out.add(g.tier().name());
        return out;
    }

    @Override
    public void close() {
        writer.close();
        for (TierGuard g : remote) g.close();
    }
}
