package dev.arbiter.limit;

import dev.arbiter.db.Redis;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rules counted once for every gateway sharing Redis, with Redis's own clock ({@code TIME}), so gateways' clocks need
 * not agree: all of a request's rules are checked by one Lua script run ({@link #ADMIT}, all or nothing, one round
 * trip), and a correction afterwards by a short script per rule ({@link #BUCKET}, {@link #WINDOW}) that nobody waits
 * for. Written as scripts rather than with Bucket4j: Bucket4j's Lettuce module is not in the Maven mirror this project
 * builds from, and it would cost a round trip per bucket.
 *
 * <p>Redis unreachable (no connection, a rejected or timed-out command): the rule is counted in memory instead, with
 * this gateway's share of it ({@code limit / nodes}, {@link Rule#share}), so the limits hold roughly across
 * {@code nodes} gateways and no request fails or waits for Redis. After a failure Redis is not asked again for
 * {@link #PAUSE_NANOS}; the client reconnects by itself. The shares and the Redis counts are separate: after Redis
 * returns, what was admitted during the outage is not charged to it.
 */
final class RedisRateLimiter implements RateLimiter {
    private static final Logger log = LoggerFactory.getLogger(RedisRateLimiter.class);
    static final long PAUSE_NANOS = 1_000_000_000L;

    /** KEYS[1] bucket; ARGV burst, rate per ms, cost, ttl ms, force. Returns allowed, tokens left, retry ms, reset ms. */
    private static final String BUCKET = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local burst = tonumber(ARGV[1]); local rate = tonumber(ARGV[2]); local cost = tonumber(ARGV[3])
            local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
            local tokens = tonumber(b[1]) or burst
            local ts = tonumber(b[2]) or now
            if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate) end
            local ok = 0; local retry = 0
            if ARGV[5] == '1' or tokens >= cost then tokens = tokens - cost; ok = 1
            else retry = math.ceil((math.min(cost, burst) - tokens) / rate) end
            redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', math.max(now, ts))
            redis.call('PEXPIRE', KEYS[1], ARGV[4])
            local left = math.floor(tokens); if left < 0 then left = 0 end
            return {ok, left, retry, math.ceil((burst - tokens) / rate)}
            """;

    /**
     * KEYS[1] key base; ARGV limit, window ms, cost, force. Returns allowed, previous count, current count (after this
     * request), milliseconds into the window.
     */
    private static final String WINDOW = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local limit = tonumber(ARGV[1]); local w = tonumber(ARGV[2]); local cost = tonumber(ARGV[3])
            local i = math.floor(now / w)
            local ck = KEYS[1] .. ':' .. i
            local cur = tonumber(redis.call('GET', ck) or '0')
            local prev = tonumber(redis.call('GET', KEYS[1] .. ':' .. (i - 1)) or '0')
            local into = now - i * w
            local used = prev * (1 - into / w) + cur
            local ok = 0
            if ARGV[4] == '1' or used + cost <= limit then
              cur = redis.call('INCRBY', ck, cost); redis.call('PEXPIRE', ck, 2 * w + 1000); ok = 1
            end
            return {ok, prev, cur, into}
            """;

    /**
     * Every Redis-kept rule of one request, checked in one round trip, all or nothing: KEYS are the rules' keys, ARGV
     * five slots per rule: {@code b} (token bucket: burst, rate per ms, cost, ttl ms) or {@code w} (sliding window:
     * limit, window ms, cost, unused). Nothing is taken unless every rule allows its cost. Returns four numbers per
     * rule: 1 taken, 2 allowed but not taken (another rule refused), 0 refused; then the bucket's tokens left, retry ms
     * and reset ms, or the window's previous count, current count (after this request when taken) and ms into the window.
     */
    private static final String ADMIT = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local n = #KEYS; local ok = {}; local st = {}; local all = true
            for i = 1, n do
              local a = (i - 1) * 5
              local p1 = tonumber(ARGV[a + 2]); local p2 = tonumber(ARGV[a + 3]); local cost = tonumber(ARGV[a + 4])
              if ARGV[a + 1] == 'b' then
                local b = redis.call('HMGET', KEYS[i], 'tokens', 'ts')
                local tokens = tonumber(b[1]) or p1
                local ts = tonumber(b[2]) or now
                if now > ts then tokens = math.min(p1, tokens + (now - ts) * p2) end
                st[i] = {tokens, math.max(now, ts)}
                ok[i] = tokens >= cost
              else
                local idx = math.floor(now / p2)
                local cur = tonumber(redis.call('GET', KEYS[i] .. ':' .. idx) or '0')
                local prev = tonumber(redis.call('GET', KEYS[i] .. ':' .. (idx - 1)) or '0')
                local into = now - idx * p2
                st[i] = {cur, prev, into, idx}
                ok[i] = prev * (1 - into / p2) + cur + cost <= p1
              end
              if not ok[i] then all = false end
            end
            local out = {}
            for i = 1, n do
              local a = (i - 1) * 5
              local p1 = tonumber(ARGV[a + 2]); local p2 = tonumber(ARGV[a + 3]); local cost = tonumber(ARGV[a + 4])
              local code = 0; if all then code = 1 elseif ok[i] then code = 2 end
              if ARGV[a + 1] == 'b' then
                local tokens = st[i][1]; local retry = 0
                if all then tokens = tokens - cost
                elseif not ok[i] then retry = math.ceil((math.min(cost, p1) - tokens) / p2) end
                redis.call('HSET', KEYS[i], 'tokens', tostring(tokens), 'ts', st[i][2])
                redis.call('PEXPIRE', KEYS[i], ARGV[a + 5])
                local left = math.floor(tokens); if left < 0 then left = 0 end
                table.insert(out, code); table.insert(out, left); table.insert(out, retry)
                table.insert(out, math.ceil((p1 - tokens) / p2))
              else
                local cur = st[i][1]
                if all then
                  local ck = KEYS[i] .. ':' .. st[i][4]
                  cur = redis.call('INCRBY', ck, cost); redis.call('PEXPIRE', ck, 2 * p2 + 1000)
                end
                table.insert(out, code); table.insert(out, st[i][2]); table.insert(out, cur); table.insert(out, st[i][3])
              end
            end
            return out
            """;

    private final Redis redis;
    private final String prefix;
    private final int nodes;
    private final MemoryRateLimiter shares;
    private final LongSupplier nanos;
    private final AtomicBoolean down = new AtomicBoolean();
    private volatile long retryAtNanos;
    private volatile String bucketSha;
    private volatile String admitSha;
    private volatile String windowSha;

    RedisRateLimiter(Redis redis, String prefix, int nodes, LongSupplier nanos) {
        this.redis = redis;
        this.prefix = prefix;
        this.nodes = nodes;
        this.nanos = nanos;
        this.shares = new MemoryRateLimiter(nanos);
    }

    /** One rule alone: {@link #acquireAll} with one check. */
    @Override
    public Decision acquire(String key, Rule rule, long cost) {
        return acquireAll(List.of(new Check(key, rule, cost))).decisions().getFirst();
    }

    /**
     * A correction after the answer (real tokens against the estimate, or a rolled-back admission): sent without
     * waiting for Redis's reply, so a request no longer waits one more round trip for it. Commands on the one
     * connection run in the order they were sent, so the next check of the key sees it. If Redis fails it, the
     * correction goes to this gateway's share, as a failed check would.
     */
    @Override
    public void adjust(String key, Rule rule, long delta) {
        Optional<StatefulRedisConnection<String, String>> conn = usable();
        if (conn.isEmpty()) {
            noConnection();
            shares.adjust(key, rule.share(nodes), delta);
            return;
        }
        var c = conn.get();
        boolean bucket = rule.algorithm() == Rule.Algorithm.TOKEN_BUCKET;
        String[] keys = {redisKey(key, rule)};
        String[] args = correction(rule, delta);
        try {
            c.async().evalsha(sha(c, bucket), ScriptOutputType.MULTI, keys, args).whenComplete((out, e) -> {
                if (e == null) return;
                if (e instanceof RedisNoScriptException || e.getCause() instanceof RedisNoScriptException) {
                    c.async().eval(bucket ? BUCKET : WINDOW, ScriptOutputType.MULTI, keys, args);
                    return;
                }
                unavailable(e);
                shares.adjust(key, rule.share(nodes), delta);
            });
        } catch (RuntimeException e) {
            unavailable(e);
            shares.adjust(key, rule.share(nodes), delta);
        }
    }

    private Optional<StatefulRedisConnection<String, String>> usable() {
        return down.get() && nanos.getAsLong() < retryAtNanos ? Optional.empty() : redis.strings();
    }

    private void unavailable(Throwable e) {
        retryAtNanos = nanos.getAsLong() + PAUSE_NANOS;
        if (down.compareAndSet(false, true)) {
            log.warn("Redis unavailable ({}): rate limits fall back to this gateway's share (1/{})", e.getClass().getSimpleName(), nodes);
        }
    }

    /** Whether Redis is being used now (false while counting shares). */
    boolean shared() {
        return !down.get();
    }

    /** No connection to Redis (none yet, or paused after a failure): counted in this gateway's share. */
    private void noConnection() {
        if (down.compareAndSet(false, true)) {
            retryAtNanos = nanos.getAsLong() + PAUSE_NANOS;
            log.warn("Redis unavailable: rate limits fall back to this gateway's share (1/{})", nodes);
        }
    }

    /** One rule to check for one key, at a cost. */
    record Check(String key, Rule rule, long cost) {}

    /** The decisions of {@link #acquireAll}, in the checks' order, and whether every cost was taken. */
    record Batch(boolean taken, List<Decision> decisions) {}

    /**
     * Checks every rule of a request in one Redis round trip, all or nothing (see {@link #ADMIT}): one request's
     * rules (rpm, tpm, a team's and a key's) cost one script run instead of one each. Redis unreachable: each rule is
     * checked against this gateway's share instead, and given back there when another refused, so that it too is all
     * or nothing.
     */
    Batch acquireAll(List<Check> checks) {
        Optional<StatefulRedisConnection<String, String>> conn = usable();
        if (conn.isPresent()) {
            try {
                Batch b = admitScript(conn.get(), checks);
                if (down.compareAndSet(true, false)) log.info("Redis reachable again: rate limits are shared across gateways");
                return b;
            } catch (RuntimeException e) {
                unavailable(e);
            }
        } else {
            noConnection();
        }
        var decisions = new java.util.ArrayList<Decision>(checks.size());
        boolean all = true;
        for (Check c : checks) {
            Decision d = shares.acquire(c.key(), c.rule().share(nodes), c.cost());
            decisions.add(d);
            all &= d.allowed();
        }
        if (!all) {
            for (int i = 0; i < checks.size(); i++) {
                Check c = checks.get(i);
                if (decisions.get(i).allowed()) shares.adjust(c.key(), c.rule().share(nodes), -c.cost());
            }
        }
        return new Batch(all, decisions);
    }

    private Batch admitScript(StatefulRedisConnection<String, String> c, List<Check> checks) {
        String[] keys = new String[checks.size()];
        String[] args = new String[checks.size() * 5];
        for (int i = 0; i < checks.size(); i++) {
            Check ch = checks.get(i);
            Rule r = ch.rule();
            long w = r.per().toMillis();
            keys[i] = redisKey(ch.key(), r);
            boolean bucket = r.algorithm() == Rule.Algorithm.TOKEN_BUCKET;
            args[i * 5] = bucket ? "b" : "w";
            args[i * 5 + 1] = Long.toString(bucket ? r.burst() : r.limit());
            args[i * 5 + 2] = bucket ? Double.toString((double) r.limit() / w) : Long.toString(w);
            args[i * 5 + 3] = Long.toString(ch.cost());
            args[i * 5 + 4] = Long.toString(w * 2 + 1000);
        }
        String sha = admitSha;
        if (sha == null) admitSha = sha = c.sync().digest(ADMIT);
        List<Long> out;
        try {
            out = c.sync().evalsha(sha, ScriptOutputType.MULTI, keys, args);
        } catch (RedisNoScriptException e) {
            out = c.sync().eval(ADMIT, ScriptOutputType.MULTI, keys, args);
        }
        var decisions = new java.util.ArrayList<Decision>(checks.size());
        boolean all = true;
        for (int i = 0; i < checks.size(); i++) {
            Rule r = checks.get(i).rule();
            long code = out.get(i * 4), x = out.get(i * 4 + 1), y = out.get(i * 4 + 2), z = out.get(i * 4 + 3);
            all &= code == 1;
            boolean allowed = code != 0;
            decisions.add(switch (r.algorithm()) {
                case TOKEN_BUCKET -> new Decision(allowed, x, y, z);
                case SLIDING_WINDOW -> window(r, allowed, checks.get(i).cost(), x, y, z);
            });
        }
        return new Batch(all, decisions);
    }

    /** A sliding window's decision from its previous and current counts and the time into the window. */
    private static Decision window(Rule r, boolean ok, long cost, long prev, long cur, long into) {
        long w = r.per().toMillis();
        long used = (long) Math.ceil(prev * (1 - (double) into / w) + cur);
        long retry = ok ? 0 : SlidingWindows.retryAfter(r.limit(), w, prev, cur, cost, into);
        return new Decision(ok, Math.max(0, r.limit() - used), retry, w - into);
    }

    private String redisKey(String key, Rule r) {
        return prefix + "{" + key + "}:" + r.dimension().label() + ":" + r.window() + ":" + r.algorithm().label();
    }

    /** The ARGV of {@link #BUCKET} or {@link #WINDOW} for a correction: {@code delta} taken whatever the count. */
    private static String[] correction(Rule r, long delta) {
        long w = r.per().toMillis();
        return switch (r.algorithm()) {
            case TOKEN_BUCKET -> new String[] {Long.toString(r.burst()), Double.toString((double) r.limit() / w), Long.toString(delta),
                    Long.toString(w * 2 + 1000), "1"};
            case SLIDING_WINDOW -> new String[] {Long.toString(r.limit()), Long.toString(w), Long.toString(delta), "1"};
        };
    }

    private String sha(StatefulRedisConnection<String, String> c, boolean bucket) {
        String sha = bucket ? bucketSha : windowSha;
        if (sha == null) {
            sha = c.sync().digest(bucket ? BUCKET : WINDOW);   // computed here, not asked of Redis
            if (bucket) bucketSha = sha;
            else windowSha = sha;
        }
        return sha;
    }

}
