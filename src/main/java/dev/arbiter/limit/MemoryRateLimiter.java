package dev.arbiter.limit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Rules counted by this gateway alone. Each (key, rule) has a small state object, updated under its own lock: a
 * token bucket (tokens, last refill) or a sliding window (this and the previous fixed window's counts). States
 * unused for a day are dropped (bounded: 200,000 at most, least recently used first). Time comes from an injected
 * nanosecond clock. The arithmetic is the same as the Redis scripts' ({@link RedisRateLimiter}).
 */
final class MemoryRateLimiter implements RateLimiter {
    private final LongSupplier nanos;
    private final Cache<State, Object> states = Caffeine.newBuilder().maximumSize(200_000)
            .expireAfterAccess(Duration.ofDays(1).plusMinutes(1)).build();

    /**
     * What a state is kept under: the key and what names the rule's counter (as the Redis key does: dimension, window,
     * algorithm). A record rather than a joined string, so a lookup builds and hashes no string per request.
     */
    private record State(String key, Rule.Dimension dimension, long perMillis, Rule.Algorithm algorithm) {}

    MemoryRateLimiter(LongSupplier nanos) {
        this.nanos = nanos;
    }

    @Override
    public Decision acquire(String key, Rule rule, long cost) {
        return apply(key, rule, cost, false);
    }

    @Override
    public void adjust(String key, Rule rule, long delta) {
        apply(key, rule, delta, true);
    }

    private Decision apply(String key, Rule rule, long cost, boolean force) {
        long now = nanos.getAsLong() / 1_000_000;   // milliseconds, as the Redis scripts count
        var id = new State(key, rule.dimension(), rule.per().toMillis(), rule.algorithm());
        Object state = states.getIfPresent(id);
        if (state == null) {
            state = states.get(id, k -> rule.algorithm() == Rule.Algorithm.TOKEN_BUCKET ? new Bucket(rule.burst(), now) : new Window());
        }
        return switch (rule.algorithm()) {
            case TOKEN_BUCKET -> ((Bucket) state).take(rule, cost, force, now);
            case SLIDING_WINDOW -> ((Window) state).take(rule, cost, force, now);
        };
    }

    /** A token bucket: {@code burst} deep, refilled at {@code limit / per}; may go below zero only by an adjustment. */
    private static final class Bucket {
        private double tokens;
        private long last;

        Bucket(long burst, long now) {
            tokens = burst;
            last = now;
        }

        synchronized Decision take(Rule r, long cost, boolean force, long now) {
            double rate = (double) r.limit() / r.per().toMillis();
            tokens = Math.min(r.burst(), tokens + Math.max(0, now - last) * rate);
            last = now;
            boolean ok = force || tokens >= cost;
            if (ok) tokens -= cost;
            long retry = ok ? 0 : (long) Math.ceil((Math.min(cost, r.burst()) - tokens) / rate);
            long reset = (long) Math.ceil((r.burst() - tokens) / rate);
            return new Decision(ok, Math.max(0, (long) Math.floor(tokens)), retry, reset);
        }
    }

    /** Two fixed windows; the sliding count is the previous one's share still inside the window, plus the current. */
    private static final class Window {
        private long index = Long.MIN_VALUE;
        private long current;
        private long previous;

        synchronized Decision take(Rule r, long cost, boolean force, long now) {
            long w = r.per().toMillis();
            long i = Math.floorDiv(now, w);
            if (i != index) {
                previous = i == index + 1 ? current : 0;
                current = 0;
                index = i;
            }
            double elapsed = (double) (now - i * w) / w;
            double used = previous * (1 - elapsed) + current;
            boolean ok = force || used + cost <= r.limit();
            if (ok) current += cost;
            long retry = ok ? 0 : SlidingWindows.retryAfter(r.limit(), w, previous, current, cost, now - i * w);
            long remaining = Math.max(0, (long) Math.floor(r.limit() - used - (ok ? cost : 0)));
            return new Decision(ok, remaining, retry, w - (now - i * w));
        }
    }
}
