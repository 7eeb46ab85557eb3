package dev.arbiter.cache;

import dev.arbiter.db.Redis;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The Redis tier, on the gateway's one Redis client (byte-array connection). Keys read
 * {@code <prefix>:<version>:<base scope>:<scope>:<model>:<key>}, the scope and model as short hashes, so that a purge
 * of a namespace or a model is one {@code SCAN MATCH} with no index to keep; Redis expires a value with the answer
 * ({@code SET ... PX}), and the expiry inside the value is checked on read as well (the gateway's clock rules).
 */
final class RedisTier implements Tier {
    private final Redis redis;
    private final String prefix;
    private final long timeoutMillis;

    RedisTier(Redis redis, String keyPrefix, long timeoutMillis) {
        this.redis = redis;
        this.prefix = keyPrefix + ":" + AnswerCodec.VERSION + ":";
        this.timeoutMillis = timeoutMillis;
        // connect now, off the caller's thread, so that the first lookup does not spend its budget connecting
        Thread.ofVirtual().name("arbiter-cache-redis-connect").start(redis::bytes);
    }

    @Override
    public String name() {
        return "redis";
    }

    private io.lettuce.core.api.async.RedisAsyncCommands<byte[], byte[]> commands() {
        return redis.bytes().orElseThrow(() -> new IllegalStateException("Redis is unreachable")).async();
    }

    static String hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static String base(String scope) {
        int slash = scope.indexOf('/');
        return slash < 0 ? scope : scope.substring(0, slash);
    }

    String redisKey(CacheKey k) {
        return prefix + hash(base(k.scope())) + ":" + hash(k.scope()) + ":" + hash(k.model()) + ":" + k.id();
    }

    @Override
    public Optional<CachedAnswer> get(CacheKey key, long nowMillis) throws Exception {
        byte[] v = commands().get(redisKey(key).getBytes(StandardCharsets.UTF_8)).get(timeoutMillis, TimeUnit.MILLISECONDS);
        return AnswerCodec.decode(v).filter(a -> !a.expired(nowMillis));
    }

    @Override
    public void put(CacheKey key, CachedAnswer answer, byte[] bytes) throws Exception {
        long ttl = Math.max(1, answer.expiresMillis() - answer.createdMillis());
        commands().set(redisKey(key).getBytes(StandardCharsets.UTF_8), bytes, SetArgs.Builder.px(ttl))
                .get(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public long purge(Purge p) throws Exception {
        String match = prefix
                + (p.namespace() == null ? "*" : p.namespace().contains("/") ? "*" : hash(p.namespace())) + ":"
                + (p.namespace() != null && p.namespace().contains("/") ? hash(p.namespace()) : "*") + ":"
                + (p.model() == null ? "*" : hash(p.model())) + ":"
                + (p.key() == null ? "*" : p.key().toLowerCase(java.util.Locale.ROOT));
        var c = commands();
        long removed = 0;
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<byte[]> page = c.scan(cursor, ScanArgs.Builder.matches(match).limit(1000)).get(5, TimeUnit.SECONDS);
            if (!page.getKeys().isEmpty()) {
                removed += c.unlink(page.getKeys().toArray(new byte[0][])).get(5, TimeUnit.SECONDS);
            }
            cursor = page;
        } while (!cursor.isFinished());
        return removed;
    }
}
