package dev.arbiter.cache;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.wire.Json;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * What the cache did, counted for {@code GET /admin/cache} and published on the gateway's metrics registry:
 * {@code arbiter_cache_requests_total} {kind: exact | semantic, result: hit | miss | bypass} (a semantic miss is a
 * semantic lookup that ran and found nothing, failed or was late; a request not looked up by meaning is not counted),
 * {@code arbiter_cache_saved_usd_total} and {@code arbiter_cache_saved_seconds_total} (what the hits would have cost
 * and taken), {@code arbiter_cache_bytes} and {@code arbiter_cache_entries} (the memory tier),
 * {@code arbiter_cache_evictions_total}, {@code arbiter_cache_writes_dropped_total}. Labels are fixed words.
 */
final class CacheStats {
    enum Kind { EXACT, SEMANTIC }

    enum Result { HIT, MISS, BYPASS }

    private record Series(Kind kind, Result result) {}

    private final MeterRegistry registry;
    private final Map<Series, Counter> counters = new ConcurrentHashMap<>();
    private final Map<Series, AtomicLong> counts = new ConcurrentHashMap<>();
    private final DoubleAdder savedUsd = new DoubleAdder();
    private final DoubleAdder savedSeconds = new DoubleAdder();
    private final Counter savedUsdCounter;
    private final Counter savedSecondsCounter;

    CacheStats(MeterRegistry registry, ExactCache cache) {
        this.registry = registry;
        this.savedUsdCounter = Counter.builder("arbiter.cache.saved.usd").description("What the cache's hits would have cost upstream")
                .register(registry);
        this.savedSecondsCounter = Counter.builder("arbiter.cache.saved.seconds")
                .description("How long the cache's hits took to make upstream").register(registry);
        Gauge.builder("arbiter.cache.bytes", cache, ExactCache::bytes).description("Bytes held by the memory tier")
                .strongReference(true).register(registry);
        Gauge.builder("arbiter.cache.entries", cache, ExactCache::entries).description("Answers held by the memory tier")
                .strongReference(true).register(registry);
        FunctionCounter.builder("arbiter.cache.evictions", cache, ExactCache::evictions)
                .description("Answers evicted from the memory tier for size").register(registry);
        FunctionCounter.builder("arbiter.cache.writes.dropped", cache, ExactCache::droppedWrites)
                .description("Writes to slower tiers dropped: the write queue was full").register(registry);
        for (Kind k : Kind.values()) for (Result r : Result.values()) counter(new Series(k, r));
    }

    private Counter counter(Series s) {
        return counters.computeIfAbsent(s, x -> Counter.builder("arbiter.cache.requests").description("Cache lookups by outcome")
                .tags("kind", name(x.kind()), "result", name(x.result())).register(registry));
    }

    private static String name(Enum<?> e) {
        return e.name().toLowerCase(java.util.Locale.ROOT);
    }

    void count(Kind kind, Result result) {
        var s = new Series(kind, result);
        counter(s).increment();
        counts.computeIfAbsent(s, x -> new AtomicLong()).incrementAndGet();
    }

    void saved(double usd, long nanos) {
        if (usd > 0) {
            savedUsd.add(usd);
            savedUsdCounter.increment(usd);
        }
        if (nanos > 0) {
            savedSeconds.add(nanos / 1e9);
            savedSecondsCounter.increment(nanos / 1e9);
        }
    }

    long total(Kind kind, Result result) {
        AtomicLong n = counts.get(new Series(kind, result));
        return n == null ? 0 : n.get();
    }

    ObjectNode json() {
        ObjectNode out = Json.object();
        long hits = 0;
        long lookups = 0;
        for (Kind k : Kind.values()) {
            long h = total(k, Result.HIT);
            long m = total(k, Result.MISS);
            out.putObject(name(k)).put("hits", h).put("misses", m).put("bypassed", total(k, Result.BYPASS))
                    .put("hit_rate", h + m == 0 ? 0 : (double) h / (h + m));
            hits += h;
        }
        // every lookup ends in an exact hit, a semantic hit or a miss; a semantic lookup follows an exact miss
        lookups = total(Kind.EXACT, Result.HIT) + total(Kind.EXACT, Result.MISS);
        out.put("hits", hits).put("misses", lookups - hits).put("hit_rate", lookups == 0 ? 0 : (double) hits / lookups);
        out.putObject("saved").put("usd", savedUsd.sum()).put("seconds", savedSeconds.sum());
        return out;
    }
}
