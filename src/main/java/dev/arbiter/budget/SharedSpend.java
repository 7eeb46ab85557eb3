package dev.arbiter.budget;

import dev.arbiter.db.Redis;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spend and reservations of one budget account (a scope in a period) shared by every gateway on the top-level
 * {@code redis:}, so that a budget holds across gateways live rather than per gateway.
 *
 * <p>Per account two keys, under one hash tag: {@code <prefix>{<scope>|<period>}:spent}, a float added to with
 * {@code INCRBYFLOAT} as requests settle, and {@code ...:held}, a sorted set of the reservations in flight (member
 * {@code <id>|<usd>}, score the time it lapses). Both expire a day after the period ends. A check is one Lua script:
 * drop lapsed reservations, compare spent + held + estimate with the limit, and hold the estimate if it fits; so
 * gateways cannot both take the last dollar. A reservation lapses after {@link #HOLD_MILLIS}, so one left behind by a
 * gateway that died mid-request stops counting then. When the spent key is missing (the period's first request, or
 * Redis lost its data) the script says so and the account is seeded from PostgreSQL's row (or this gateway's own
 * count when there is no database), with {@code SET} only if still absent.
 *
 * <p>Redis unavailable (no connection, a rejected or timed-out command): {@link #reserve} and {@link #settle}
 * answer empty/false at once and {@link Spend} checks this gateway's own account instead; Redis is not asked again
 * for {@link #PAUSE_NANOS}. What could not be added to Redis is carried by the account and added with its next
 * successful command; a command that Redis ran but whose answer was lost (cut mid-way, timed out) is carried too, so
 * the shared count errs high, never low, by at most the amounts in flight when Redis went away.
 */
final class SharedSpend {
    private static final Logger log = LoggerFactory.getLogger(SharedSpend.class);
    static final long PAUSE_NANOS = 1_000_000_000L;
    /** How long a reservation counts at most: longer than any request is expected to last. */
    static final long HOLD_MILLIS = 30 * 60 * 1000L;

    /**
     * KEYS spent, held; ARGV limit, estimate, member ({@link #member}), hold ms, expire-at ms, seed ('' unknown), carry. Returns
     * {'missing'} when the spent key is absent and no seed was given, else {ok, spent, held} (as strings).
     */
    private static final String RESERVE = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            if redis.call('EXISTS', KEYS[1]) == 0 then
              if ARGV[6] == '' then return {'missing'} end
              redis.call('SET', KEYS[1], ARGV[6]); redis.call('PEXPIREAT', KEYS[1], ARGV[5])
            elseif tonumber(ARGV[7]) ~= 0 then
              redis.call('INCRBYFLOAT', KEYS[1], ARGV[7])
            end
            redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
            local held = 0
            for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do held = held + tonumber(string.match(m, '|([^|]*)$')) end
            local spent = tonumber(redis.call('GET', KEYS[1]))
            local ok = 0
            if spent + held + tonumber(ARGV[2]) <= tonumber(ARGV[1]) then
              redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[3])
              redis.call('PEXPIREAT', KEYS[2], ARGV[5]); ok = 1
            end
            return {ok, tostring(spent), tostring(held)}
            """;

    /** KEYS spent, held; ARGV member ('' none), usd (with the carry). Adds only to a spent key that exists. */
    private static final String SETTLE = """
            if ARGV[1] ~= '' then redis.call('ZREM', KEYS[2], ARGV[1]) end
            if tonumber(ARGV[2]) ~= 0 and redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCRBYFLOAT', KEYS[1], ARGV[2]) end
            return {1}
            """;

    /** The answer of a shared check: whether the estimate was held, and the account's shared spend and holds. */
    record Check(boolean ok, double spent, double held) {}

    private final Redis redis;
    private final String prefix;
    private final LongSupplier nanos;
    private final AtomicBoolean down = new AtomicBoolean();
    private volatile long retryAtNanos;
    private volatile String reserveSha;
    private volatile String settleSha;

    SharedSpend(Redis redis, String prefix, LongSupplier nanos) {
        this.redis = redis;
        this.prefix = prefix;
        this.nanos = nanos;
    }

    /** A reservation's entry in the held set: a unique id and the amount held, which the check sums. */
    static String member(String id, double estimate) {
        return id + "|" + plain(estimate);
    }

    /** Whether Redis answered the last command (false while falling back). */
    boolean shared() {
        return !down.get();
    }

    /**
     * Holds {@code estimate} on the account if spent + held + estimate stays within {@code limit}. {@code seed} gives
     * the account's spend to start from when Redis has none; {@code carry} is spend not yet added. Empty: Redis is
     * unavailable (the carry was not added).
     */
    Optional<Check> reserve(String scope, String period, double limit, double estimate, String member, long expireAtMillis,
                            java.util.function.DoubleSupplier seed, double carry) {
        var conn = connection();
        if (conn.isEmpty()) return Optional.empty();
        try {
            String[] keys = keys(scope, period);
            List<Object> out = eval(conn.get(), true, keys, plain(limit), plain(estimate), member, Long.toString(HOLD_MILLIS),
                    Long.toString(expireAtMillis), "", plain(carry));
            if (out.size() == 1) {
                out = eval(conn.get(), true, keys, plain(limit), plain(estimate), member, Long.toString(HOLD_MILLIS),
                        Long.toString(expireAtMillis), plain(seed.getAsDouble()), "0");
            }
            up();
            return Optional.of(new Check(((Number) out.get(0)).longValue() == 1, number(out.get(1)), number(out.get(2))));
        } catch (RuntimeException e) {
            failed(e);
            return Optional.empty();
        }
    }

    /** Drops a reservation (member may be null) and adds {@code usd}; false: Redis is unavailable. */
    boolean settle(String scope, String period, String member, double usd) {
        var conn = connection();
        if (conn.isEmpty()) return false;
        try {
            eval(conn.get(), false, keys(scope, period), member == null ? "" : member, plain(usd));
            up();
            return true;
        } catch (RuntimeException e) {
            failed(e);
            return false;
        }
    }

    private String[] keys(String scope, String period) {
        String base = prefix + "{" + scope + "|" + period + "}";
        return new String[] {base + ":spent", base + ":held"};
    }

    private Optional<StatefulRedisConnection<String, String>> connection() {
        if (down.get() && nanos.getAsLong() - retryAtNanos < 0) return Optional.empty();
        var c = redis.strings();
        if (c.isEmpty()) failed(null);
        return c;
    }

    private void up() {
        if (down.compareAndSet(true, false)) log.info("Redis reachable again: budgets are shared across gateways");
    }

    private void failed(RuntimeException e) {
        retryAtNanos = nanos.getAsLong() + PAUSE_NANOS;
        if (down.compareAndSet(false, true)) {
            log.warn("Redis unavailable{}: budgets are checked against this gateway's own count of spend",
                    e == null ? "" : " (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static String plain(double usd) {
        return BigDecimal.valueOf(usd).toPlainString();
    }

    private static double number(Object o) {
        return o == null ? 0 : Double.parseDouble(o.toString());
    }

    @SuppressWarnings("unchecked")
    private List<Object> eval(StatefulRedisConnection<String, String> c, boolean reserve, String[] keys, String... args) {
        String script = reserve ? RESERVE : SETTLE;
        String sha = reserve ? reserveSha : settleSha;
        if (sha == null) {
            sha = c.sync().digest(script);
            if (reserve) reserveSha = sha;
            else settleSha = sha;
        }
        Object out;
        try {
            out = c.sync().evalsha(sha, ScriptOutputType.MULTI, keys, args);
        } catch (RedisNoScriptException e) {
            out = c.sync().eval(script, ScriptOutputType.MULTI, keys, args);
        }
        return out instanceof List<?> l ? (List<Object>) l : List.of(out);
    }
}
