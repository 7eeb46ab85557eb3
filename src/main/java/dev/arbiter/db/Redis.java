package dev.arbiter.db;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Duration;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's one Redis client (Lettuce), shared by every feature that keeps state in Redis. Created once, handed
 * to the features, closed with the gateway.
 *
 * <p>Redis may be down when the gateway starts and may go away at any time; no request may fail or stall for it.
 * So the connections are made lazily, on first use; a failed attempt is not repeated for {@link #RECONNECT_PAUSE}
 * (callers during the pause get {@code Optional.empty()} at once instead of each waiting out a connect timeout); once
 * connected, Lettuce reconnects by itself and, while disconnected, rejects commands at once rather than queueing
 * them; every command times out after {@code redis.timeout}. Features treat an empty connection, a rejected command
 * and a timed-out command alike: Redis is unavailable, use the in-memory fallback.
 *
 * <p>Two connections: one with string keys and values (counters, scripts, small records) and one with byte arrays
 * (cached payloads). A Lettuce connection is thread-safe and multiplexes commands, so one of each serves the gateway.
 */
public final class Redis implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Redis.class);
    /** How long after a failed connection attempt the next one is made. */
    static final Duration RECONNECT_PAUSE = Duration.ofSeconds(1);

    private final ClientResources resources;
    private final RedisClient client;
    private final LongSupplier nanos;
    private final Object lock = new Object();
    private volatile StatefulRedisConnection<String, String> strings;
    private volatile StatefulRedisConnection<byte[], byte[]> bytes;
    private volatile long nextAttemptNanos;
    private volatile boolean closed;

    public Redis(RedisConfig config) {
        this(config, System::nanoTime);
    }

    Redis(RedisConfig config, LongSupplier nanos) {
        if (!config.configured()) throw new IllegalArgumentException("redis.url is not configured");
        this.nanos = nanos;
        // two I/O threads and two computation threads are plenty for a gateway's Redis traffic (Lettuce defaults to
        // one per core, at least three)
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
        RedisURI uri = RedisURI.create(config.url());
        uri.setTimeout(config.timeout());
        this.client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(config.connectTimeout()).keepAlive(true).build())
                .timeoutOptions(TimeoutOptions.enabled(config.timeout()))
                .build());
        this.nextAttemptNanos = nanos.getAsLong();
    }

    /** The connection with string keys and values, connecting if needed; empty while Redis cannot be reached. */
    public Optional<StatefulRedisConnection<String, String>> strings() {
        var c = strings;
        if (c != null) return Optional.of(c);
        connect();
        return Optional.ofNullable(strings);
    }

    /** The connection with byte-array keys and values, connecting if needed; empty while Redis cannot be reached. */
    public Optional<StatefulRedisConnection<byte[], byte[]>> bytes() {
        var c = bytes;
        if (c != null) return Optional.of(c);
        connect();
        return Optional.ofNullable(bytes);
    }

    /** Whether the connections are up now (false before the first use, and while Lettuce is reconnecting). */
    public boolean connected() {
        var s = strings;
        return s != null && s.isOpen();
    }

    private void connect() {
        if (closed || nanos.getAsLong() - nextAttemptNanos < 0) return;
        synchronized (lock) {
            if (strings != null || closed || nanos.getAsLong() - nextAttemptNanos < 0) return;
            try {
                var s = client.connect(StringCodec.UTF8);
                try {
                    bytes = client.connect(ByteArrayCodec.INSTANCE);
                } catch (RuntimeException e) {
                    s.close();
                    throw e;
                }
                strings = s;
                log.info("connected to Redis");
            } catch (RuntimeException e) {
                nextAttemptNanos = nanos.getAsLong() + RECONNECT_PAUSE.toNanos();
                log.warn("Redis is unreachable ({}); features that share state there use their in-memory fallback", firstLine(e));
            }
        }
    }

    private static String firstLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return m.lines().findFirst().orElse("");
    }

    @Override
    public void close() {
        closed = true;
        synchronized (lock) {
            if (strings != null) strings.close();
            if (bytes != null) bytes.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
    }
}
