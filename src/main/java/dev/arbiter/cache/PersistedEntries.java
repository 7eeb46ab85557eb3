package dev.arbiter.cache;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.db.Postgres;
import dev.arbiter.db.Redis;
import dev.arbiter.wire.Json;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The semantic cache's entries in every shared tier {@code cache.tiers} names (none: the index lives in memory
 * only). Each store's failure is counted and logged, never thrown: the index goes on without it.
 */
final class PersistedEntries {
    private static final Logger log = LoggerFactory.getLogger(PersistedEntries.class);

    @FunctionalInterface
    private interface StoreCall {
        void run(EntryStore store) throws Exception;
    }

    private final Map<EntryStore, LongAdder> failures = new LinkedHashMap<>();

    PersistedEntries(List<EntryStore> stores) {
        for (EntryStore s : stores) failures.put(s, new LongAdder());
    }

    /** The stores of the tiers {@code config} names whose clients are configured ({@code redis}, {@code postgres} may be null). */
    static PersistedEntries of(CacheConfig config, Redis redis, Postgres postgres, long maxEntries) {
        var stores = new ArrayList<EntryStore>();
        if (config.tiers().contains(CacheConfig.TierKind.REDIS) && redis != null) stores.add(new RedisEntryStore(redis, config.keyPrefix(), maxEntries));
        if (config.tiers().contains(CacheConfig.TierKind.POSTGRES) && postgres != null) stores.add(new PostgresEntryStore(postgres));
        return new PersistedEntries(stores);
    }

    /** The newest {@code limit} entries of {@code embedder} not expired, across the stores, oldest first (the order to index them in). */
    List<PersistedEntry> newest(String embedder, long nowMillis, long limit) {
        Map<String, PersistedEntry> byId = new HashMap<>();
        each("reading entries (the index starts without them)", true, s -> {
            for (PersistedEntry e : s.newest(embedder, nowMillis, (int) Math.min(Integer.MAX_VALUE, limit))) {
                byId.merge(e.entry().id(), e, (a, b) -> a.createdMillis() >= b.createdMillis() ? a : b);
            }
        });
        return byId.values().stream().sorted(Comparator.comparingLong(PersistedEntry::createdMillis).reversed()).limit(limit)
                .sorted(Comparator.comparingLong(PersistedEntry::createdMillis)).toList();
    }

    void save(PersistedEntry e) {
        each("saving an entry", false, s -> s.save(e));   // at debug level: a store that is down fails every write
    }

    void purge(Purge purge) {
        each("purging", true, s -> s.purge(purge));
    }

    /** Failures per store, for the admin API. */
    ObjectNode stats() {
        ObjectNode out = Json.object();
        failures.forEach((s, n) -> out.putObject(s.name()).put("failures", n.sum()));
        return out;
    }

    private void each(String what, boolean warn, StoreCall call) {
        failures.forEach((s, n) -> {
            try {
                call.run(s);
            } catch (Exception e) {
                n.increment();
                if (warn) log.warn("semantic cache: {} in {} failed: {}", what, s.name(), e.toString());
                else log.debug("semantic cache: {} in {} failed: {}", what, s.name(), e.toString());
            }
        });
    }
}
