package dev.arbiter.resilience;

import dev.arbiter.db.Redis;
import dev.arbiter.provider.Deployment;
import dev.arbiter.provider.Upstreams;
import dev.arbiter.route.ModelRegistry;
import dev.arbiter.route.UpstreamState;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link UpstreamState} shared by every gateway node on one Redis: a 429 cooldown or a breaker opening on one node is
 * honoured by the others within {@code resilience.sync-interval} (250 ms) and a round trip.
 *
 * <p>Design. Requests never wait for Redis: reads answer from this node's own state ({@code local}, always kept)
 * merged with a snapshot of the shared state, and writes update {@code local} at once and go to Redis as asynchronous
 * commands, not awaited. One virtual thread reads every key this gateway can care about (one per endpoint's cooldown,
 * one per deployment's breaker: the config says which) in one script, every sync interval, and replaces the snapshot.
 * So Redis down (refused, timed out, cut) changes nothing a request sees but the other nodes' state, which expires as
 * its times run out: each node falls back to its own state, and picks the shared one up again when Redis answers.
 *
 * <p>Keys, under {@code key-prefix}: {@code cooldown:{endpoint}} (the endpoint's identity, hashed, since it may hold
 * a hash of credentials; a deployment without a base URL: {@code cooldown:deployment:{model}/{deployment}}) and
 * {@code open:{model}/{deployment}@{endpoint}} (the endpoint too, so that two configs that name different upstreams
 * alike never share a breaker). Each holds the id of the node that wrote it and expires when the cooldown or the
 * opening ends (Redis's own clock, so the nodes' clocks need not agree). A cooldown is only ever lengthened, as in
 * memory; an opening overwrites, and a close or reset deletes it (whoever wrote it: a close means the upstream answered
 * that node's probes). A node ignores the openings it wrote itself: its own breaker knows better.
 */
final class RedisUpstreamState implements UpstreamState, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedisUpstreamState.class);

    /** Every key's writer and time to live (ms; negative when absent), as a flat list: writer, ttl, writer, ttl... */
    private static final String READ = """
            local r = {}
            for i, k in ipairs(KEYS) do
              r[2 * i - 1] = redis.call('GET', k) or ''
              r[2 * i] = redis.call('PTTL', k)
            end
            return r""";

    /** A cooldown: set unless one that ends later is running. */
    private static final String COOL_DOWN = """
            if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
              redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
            end
            return 1""";

    /** A deployment's two keys. */
    private record Keys(String cooldown, String open) {
    }

    /** Another node's state: until when (this node's {@code nanos}), and who wrote it. */
    private record Remote(long untilNanos, String writer) {
    }

    private final Redis redis;
    private final UpstreamState local;
    private final LongSupplier nanos;
    private final Duration syncInterval;
    private final String node = UUID.randomUUID().toString();
    /** The keys of each deployment, by identity (the registry's deployments are the ones requests carry) and by name. */
    private final Map<Deployment, Keys> byDeployment = new IdentityHashMap<>();
    private final Map<String, Keys> byName = new HashMap<>();
    private final String[] allKeys;
    private final Thread sync;
    private volatile Map<String, Remote> snapshot = Map.of();
    private volatile StatefulRedisConnection<String, String> connection;
    /** Whether the last read succeeded; null before the first ended (the snapshot is empty until then). */
    private volatile Boolean up;
    private volatile boolean closed;

    /** @param local this node's own state, which every read also consults and every write also updates */
    RedisUpstreamState(Redis redis, UpstreamState local, ModelRegistry registry, SharedStateConfig config, LongSupplier nanos) {
        this.redis = redis;
        this.local = local;
        this.nanos = nanos;
        this.syncInterval = config.syncInterval();
        var all = new LinkedHashSet<String>();
        for (ModelRegistry.Model m : registry.models()) {
            for (Deployment d : m.deployments()) {
                String name = d.model() + "/" + d.name();
                String endpoint = d.config().baseUrl() == null ? null : hash(Upstreams.id(d.config()));
                Keys k = new Keys(config.keyPrefix() + "cooldown:" + (endpoint == null ? "deployment:" + name : endpoint),
                        config.keyPrefix() + "open:" + name + (endpoint == null ? "" : "@" + endpoint));
                byDeployment.put(d, k);
                byName.put(name, k);
                all.add(k.cooldown());
                all.add(k.open());
            }
        }
        this.allKeys = all.toArray(String[]::new);
        this.sync = Thread.ofVirtual().name("arbiter-upstream-state-sync").start(this::syncLoop);
    }

    private static String hash(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Keys keys(Deployment d) {
        Keys k = byDeployment.get(d);
        return k != null ? k : byName.get(d.model() + "/" + d.name());
    }

    @Override
    public void coolDown(Deployment d, Duration wait) {
        local.coolDown(d, wait);
        Keys k = keys(d);
        if (k == null || wait == null || wait.isNegative() || wait.isZero()) return;
        long ms = Math.max(1, Math.min(wait.toMillis(), MAX_COOLDOWN.toMillis()));
        write(c -> c.eval(COOL_DOWN, ScriptOutputType.INTEGER, new String[] {k.cooldown()}, Long.toString(ms), node));
    }

    @Override
    public Duration cooldown(Deployment d) {
        Duration here = local.cooldown(d);
        Keys k = keys(d);
        if (k == null) return here;
        Duration there = left(k.cooldown(), false);
        return there.compareTo(here) > 0 ? there : here;
    }

    @Override
    public void breakerOpened(Deployment d, Duration openFor) {
        Keys k = keys(d);
        if (k == null || openFor.isZero() || openFor.isNegative()) return;
        write(c -> c.set(k.open(), node, SetArgs.Builder.px(Math.max(1, openFor.toMillis()))));
    }

    @Override
    public void breakerClosed(Deployment d) {
        Keys k = keys(d);
        if (k == null) return;
        write(c -> c.del(k.open()));
    }

    @Override
    public Duration openElsewhere(Deployment d) {
        Keys k = keys(d);
        return k == null ? Duration.ZERO : left(k.open(), true);
    }

    /** The time left of another node's state under {@code key}; zero when none (or, with {@code othersOnly}, this node's). */
    private Duration left(String key, boolean othersOnly) {
        Remote r = snapshot.get(key);
        if (r == null || (othersOnly && node.equals(r.writer()))) return Duration.ZERO;
        long left = r.untilNanos() - nanos.getAsLong();
        return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
    }

    /**
     * Sends a command without waiting for it: on the connection the sync thread made, or, before there is one, from a
     * thread of its own (connecting may take up to {@code redis.connect-timeout}, which no request may wait for).
     */
    private void write(Consumer<RedisAsyncCommands<String, String>> command) {
        if (closed) return;
        var c = connection;
        if (c != null) {
            send(c, command);
            return;
        }
        Thread.ofVirtual().name("arbiter-upstream-state-write").start(() -> redis.strings().ifPresent(s -> send(s, command)));
    }

    private static void send(StatefulRedisConnection<String, String> c, Consumer<RedisAsyncCommands<String, String>> command) {
        try {
            command.accept(c.async());   // a failure (Redis down) is the sync thread's to report; the state stays local
        } catch (RuntimeException e) {
            log.debug("shared upstream state: write not sent ({})", e.getClass().getSimpleName());
        }
    }

    private void syncLoop() {
        while (!closed) {
            read();
            try {
                Thread.sleep(syncInterval);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Replaces the snapshot with every key as Redis has it now; on failure keeps the last one, whose times run out. */
    private void read() {
        try {
            var c = redis.strings().orElse(null);
            if (c == null) {
                down("unreachable");
                return;
            }
            connection = c;
            List<Object> r = c.sync().eval(READ, ScriptOutputType.MULTI, allKeys);
            long now = nanos.getAsLong();
            var next = new HashMap<String, Remote>();
            for (int i = 0; i < allKeys.length; i++) {
                String writer = String.valueOf(r.get(2 * i));
                long ttl = ((Number) r.get(2 * i + 1)).longValue();
                if (!writer.isEmpty() && ttl > 0) next.put(allKeys[i], new Remote(now + ttl * 1_000_000, writer));
            }
            snapshot = Map.copyOf(next);
            if (Boolean.FALSE.equals(up)) log.info("Redis reachable again: cooldowns and breaker openings are shared across gateways");
            up = true;
        } catch (RuntimeException e) {
            down(e.getClass().getSimpleName());
        }
    }

    private void down(String why) {
        if (Boolean.FALSE.equals(up)) return;
        up = false;
        log.warn("Redis unavailable ({}): cooldowns and breaker openings are kept on this gateway only until it is back", why);
    }

    /** Whether the last read of the shared state succeeded (false before the first). */
    boolean shared() {
        return Boolean.TRUE.equals(up);
    }

    @Override
    public void close() {
        closed = true;
        sync.interrupt();
    }
}
