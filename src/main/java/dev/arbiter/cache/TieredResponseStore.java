package dev.arbiter.cache;

import dev.arbiter.db.Postgres;
import dev.arbiter.db.Redis;
import dev.arbiter.pipeline.Caller;
import dev.arbiter.store.ResponseStore;
import dev.arbiter.store.StoredResponse;
import io.lettuce.core.SetArgs;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;



import java.util.concurrent.TimeUnit;

/**
 * Stored Responses on the cache's tiers, so that {@code previous_response_id} works after a restart and on another
 * node: the in-memory store first, then Redis and PostgreSQL when the cache's tiers name them. Writes go to memory at
 * once and to the slower tiers off the request's path (one background thread, a bounded queue); reads fall through
 * to them and keep what they find in memory; deletes reach every tier. Scoped by caller as the memory store is: keys
 * and rows hold the caller, and a value read back is checked to be the caller's. Each slower tier is called through
 * its own {@link TierGuard} (a time budget, a breaker), so a slow or broken tier costs a request at most its budget.
 */
public final class TieredResponseStore implements ResponseStore, AutoCloseable {
    /** What a slower tier holds: the response and when it stops being served. */
    record Held(long expiresMillis, StoredResponse response) {}

    private final ResponseStore memory;
    private final Redis redis;
    private final Postgres postgres;
    private final TierGuard redisGuard;
    private final TierGuard postgresGuard;
    private final String prefix;
    private final Duration ttl;
    private final Duration budget;
    private final InstantSource clock;
    private final WriteQueue writer;

    /** {@code redis} and {@code postgres} may be null (that tier is not used); {@code ttl} as the memory store's. */
    public TieredResponseStore(ResponseStore memory, Redis redis, Postgres postgres, CacheConfig config, Duration ttl,
                               InstantSource clock) {
        this.memory = memory;
        this.redis = redis;
        this.postgres = postgres;
        this.redisGuard = redis == null ? null : new TierGuard("responses-redis", config.tierRecovery());
        this.postgresGuard = postgres == null ? null : new TierGuard("responses-postgres", config.tierRecovery());
        this.prefix = config.keyPrefix() + ":responses:" + AnswerCodec.VERSION + ":";
        this.ttl = ttl;
        // a previous_response_id lookup happens once per turn: a budget larger than the cache's keeps it found on a loaded node
        this.budget = config.tierTimeout().multipliedBy(4);
        this.clock = clock;
        this.writer = new WriteQueue("arbiter-responses-writer", config.writeQueue());
        if (postgres != null) Thread.ofVirtual().name("arbiter-responses-migrate").start(postgres::migrated);
        if (redis != null) Thread.ofVirtual().name("arbiter-responses-redis-connect").start(redis::bytes);
    }

    private byte[] redisKey(String id, String caller) {
        return (prefix + RedisTier.hash(caller) + ":" + id).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void put(StoredResponse r) {
        memory.put(r);
        if (redis == null && postgres == null) return;
        long expires = clock.millis() + ttl.toMillis();
        byte[] bytes = AnswerCodec.encodeValue(new Held(expires, r));
        // when the queue is full, the memory store has it and the slower tiers miss this one
        writer.offer(() -> {
            if (redis != null) redisGuard.call(() -> redis.bytes().orElseThrow().async()
                    .set(redisKey(r.id(), r.caller()), bytes, SetArgs.Builder.px(ttl.toMillis()))
                    .get(budget.toMillis() * 10, TimeUnit.MILLISECONDS), budget.multipliedBy(10));
            if (postgres != null) postgresGuard.call(() -> upsert(r, bytes, expires), budget.multipliedBy(10));
        });
    }

    private Boolean upsert(StoredResponse r, byte[] bytes, long expires) throws Exception {
        if (!postgres.migrated()) throw new IllegalStateException("schema not migrated");
        try (var c = postgres.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement("""
                INSERT INTO arbiter_stored_response (caller, id, value, expires_ms) VALUES (?, ?, ?, ?)
                ON CONFLICT (caller, id) DO UPDATE SET value = EXCLUDED.value, expires_ms = EXCLUDED.expires_ms""")) {
            ps.setString(1, r.caller());
            ps.setString(2, r.id());
            ps.setBytes(3, bytes);
            ps.setLong(4, expires);
            ps.executeUpdate();
        }
        return Boolean.TRUE;
    }

    @Override
    public Optional<StoredResponse> get(String id, Caller caller) {
        Optional<StoredResponse> found = memory.get(id, caller);
        if (found.isPresent()) return found;
        long now = clock.millis();
        if (redis != null) {
            found = redisGuard.call(() -> redis.bytes().orElseThrow().async().get(redisKey(id, caller.id()))
                    .get(budget.toMillis(), TimeUnit.MILLISECONDS), budget)
                    .flatMap(b -> AnswerCodec.decodeValue(b, Held.class))
                    .filter(h -> h.expiresMillis() > now && h.response().caller().equals(caller.id()) && h.response().id().equals(id))
                    .map(Held::response);
        }
        if (found.isEmpty() && postgres != null) {
            found = postgresGuard.call(() -> select(id, caller.id(), now), budget).flatMap(o -> o);
        }
        found.ifPresent(memory::put);
        return found;
    }

    private Optional<StoredResponse> select(String id, String caller, long now) throws Exception {
        if (!postgres.migrated()) throw new IllegalStateException("schema not migrated");
        try (var c = postgres.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT value FROM arbiter_stored_response WHERE caller = ? AND id = ? AND expires_ms > ?")) {
            ps.setString(1, caller);
            ps.setString(2, id);
            ps.setLong(3, now);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                return AnswerCodec.decodeValue(rs.getBytes(1), Held.class).map(Held::response)
                        .filter(r -> r.caller().equals(caller) && r.id().equals(id));
            }
        }
    }

    @Override
    public boolean delete(String id, Caller caller) {
        boolean deleted = memory.delete(id, caller);
        if (redis != null) {
            deleted |= redisGuard.call(() -> redis.bytes().orElseThrow().async().del(redisKey(id, caller.id()))
                    .get(budget.toMillis(), TimeUnit.MILLISECONDS), budget).orElse(0L) > 0;
        }
        if (postgres != null) {
            deleted |= postgresGuard.call(() -> {
                if (!postgres.migrated()) throw new IllegalStateException("schema not migrated");
                try (var c = postgres.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                        "DELETE FROM arbiter_stored_response WHERE caller = ? AND id = ?")) {
                    ps.setString(1, caller.id());
                    ps.setString(2, id);
                    return ps.executeUpdate();
                }
            }, budget).orElse(0) > 0;
        }
        return deleted;
    }

    @Override
    public void close() {
        writer.close();
        if (redisGuard != null) redisGuard.close();
        if (postgresGuard != null) postgresGuard.close();
    }
}
