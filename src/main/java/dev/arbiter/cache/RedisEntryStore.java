package dev.arbiter.cache;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.cache.semantic.IndexEntry;
import dev.arbiter.db.Redis;
import dev.arbiter.wire.Json;
import io.lettuce.core.KeyValue;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The semantic cache's entries in Redis, on the gateway's one client: each entry a JSON value under
 * {@code <prefix>:semantic:1:e:<id>} that Redis expires with the answer, and a sorted set {@code <prefix>:semantic:1:index}
 * of the ids by the time they were stored, from which a rebuild reads the newest (members whose value has expired
 * are dropped from the set as a rebuild or a purge meets them, and the set is trimmed to {@code max-entries}).
 */
final class RedisEntryStore implements EntryStore {
    private static final long TIMEOUT_MS = 5_000;

    private final Redis redis;
    private final String prefix;
    private final String index;
    private final long maxEntries;

    RedisEntryStore(Redis redis, String keyPrefix, long maxEntries) {
        this.redis = redis;
        this.prefix = keyPrefix + ":semantic:1:";
        this.index = prefix + "index";
        this.maxEntries = maxEntries;
    }

    @Override
    public String name() {
        return "redis";
    }

    private RedisAsyncCommands<String, String> commands() {
        return redis.strings().orElseThrow(() -> new IllegalStateException("Redis is unreachable")).async();
    }

    private String entryKey(String id) {
        return prefix + "e:" + id;
    }

    @Override
    public void save(PersistedEntry e) throws Exception {
        var json = Json.object().put("id", e.entry().id()).put("scope", e.scope()).put("model", e.model())
                .put("embedder", e.embedder()).put("partition", e.entry().partition()).put("prompt", e.entry().prompt())
                .put("vector", Base64.getEncoder().encodeToString(IndexEntry.bytes(e.entry().vector())))
                .put("created_ms", e.createdMillis()).put("expires_ms", e.entry().expiresAt().toEpochMilli());
        long ttl = Math.max(1, e.entry().expiresAt().toEpochMilli() - e.createdMillis());
        var c = commands();
        c.set(entryKey(e.entry().id()), Json.string(json), SetArgs.Builder.px(ttl)).get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        c.zadd(index, (double) e.createdMillis(), e.entry().id()).get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        c.zremrangebyrank(index, 0, -maxEntries - 1).get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    public List<PersistedEntry> newest(String embedder, long nowMillis, int limit) throws Exception {
        var c = commands();
        List<String> ids = c.zrevrange(index, 0, limit - 1).get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        var out = new ArrayList<PersistedEntry>();
        var gone = new ArrayList<String>();
        for (List<String> page : pages(ids)) {
            List<KeyValue<String, String>> values = c.mget(page.stream().map(this::entryKey).toArray(String[]::new))
                    .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            for (int i = 0; i < values.size(); i++) {
                PersistedEntry e = values.get(i).hasValue() ? decode(values.get(i).getValue()) : null;
                if (e == null) gone.add(page.get(i));
                else if (e.embedder().equals(embedder) && e.entry().expiresAt().toEpochMilli() > nowMillis) out.add(e);
            }
        }
        if (!gone.isEmpty()) c.zrem(index, gone.toArray(String[]::new)).get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        return out;
    }

    private static List<List<String>> pages(List<String> ids) {
        var out = new ArrayList<List<String>>();
        for (int i = 0; i < ids.size(); i += 500) out.add(ids.subList(i, Math.min(ids.size(), i + 500)));
        return out;
    }

    /** An entry as {@link #save} wrote it; null when it is not one (written by another version, or damaged). */
    private static PersistedEntry decode(String value) {
        try {
            JsonNode n = Json.parse(value);
            var entry = new IndexEntry(n.path("id").asText(), n.path("partition").asText(), n.path("prompt").asText(),
                    IndexEntry.vector(Base64.getDecoder().decode(n.path("vector").asText())),
                    Instant.ofEpochMilli(n.path("expires_ms").asLong()));
            return new PersistedEntry(entry, n.path("scope").asText(), n.path("model").asText(), n.path("embedder").asText(),
                    n.path("created_ms").asLong());
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public long purge(Purge p) throws Exception {
        var c = commands();
        List<String> ids = c.zrange(index, 0, -1).get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        long removed = 0;
        for (List<String> page : pages(ids)) {
            List<KeyValue<String, String>> values = c.mget(page.stream().map(this::entryKey).toArray(String[]::new))
                    .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            var selected = new ArrayList<String>();
            for (int i = 0; i < values.size(); i++) {
                PersistedEntry e = values.get(i).hasValue() ? decode(values.get(i).getValue()) : null;
                if (e == null || e.selectedBy(p)) selected.add(page.get(i));
            }
            if (selected.isEmpty()) continue;
            removed += c.unlink(selected.stream().map(this::entryKey).toArray(String[]::new)).get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            c.zrem(index, selected.toArray(String[]::new)).get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        return removed;
    }
}
