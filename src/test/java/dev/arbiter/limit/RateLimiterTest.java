package dev.arbiter.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.db.Redis;
import dev.arbiter.db.RedisConfig;
import dev.arbiter.db.TestRedis;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The two algorithms, in memory with a fake clock and in the shared Redis, give the same answers. */
class RateLimiterTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);

    private static Rule rule(Rule.Algorithm a, long limit, Duration per, long burst) {
        return new Rule(Rule.Dimension.REQUESTS, limit, per, a, burst, Rule.Store.MEMORY);
    }

    private void advance(long millis) {
        nanos.addAndGet(millis * 1_000_000);
    }

    @Test
    void tokenBucket_admitsBurstThenRefillsAtTheRate() {
        var m = new MemoryRateLimiter(nanos::get);
        Rule r = rule(Rule.Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(10), 5);   // 1 per second, 5 deep
        for (int i = 0; i < 5; i++) assertThat(m.acquire("k", r, 1).allowed()).isTrue();
        var refused = m.acquire("k", r, 1);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfterMillis()).isEqualTo(1000);
        assertThat(refused.resetMillis()).isEqualTo(5000);
        advance(1000);
        assertThat(m.acquire("k", r, 1).allowed()).isTrue();
        assertThat(m.acquire("k", r, 1).allowed()).isFalse();
        assertThat(m.acquire("other", r, 1).allowed()).isTrue();   // keys are apart
    }

    @Test
    void tokenBucket_adjustment_goesIntoDebt() {
        var m = new MemoryRateLimiter(nanos::get);
        Rule r = new Rule(Rule.Dimension.TOKENS, 1000, Duration.ofMinutes(1), Rule.Algorithm.TOKEN_BUCKET, 0, Rule.Store.MEMORY);
        assertThat(m.acquire("k", r, 100).remaining()).isEqualTo(900);
        m.adjust("k", r, 1400);                      // the answer used 1,500, not 100
        var d = m.acquire("k", r, 1);
        assertThat(d.allowed()).isFalse();
        assertThat(d.retryAfterMillis()).isEqualTo(30_060);   // 501 tokens at 1,000 a minute
    }

    @Test
    void slidingWindow_admitsTheLimitPerWindow_thenDecays() {
        var m = new MemoryRateLimiter(nanos::get);
        Rule r = rule(Rule.Algorithm.SLIDING_WINDOW, 10, Duration.ofSeconds(10), 0);
        nanos.set(Duration.ofSeconds(1_000_000).toNanos());   // the start of a window
        for (int i = 0; i < 10; i++) assertThat(m.acquire("k", r, 1).allowed()).isTrue();
        var refused = m.acquire("k", r, 1);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfterMillis()).isEqualTo(11_000);   // next window, once a tenth of this one left it
        advance(10_000);   // next window: the previous 10 count in full at its start
        assertThat(m.acquire("k", r, 1).allowed()).isFalse();
        advance(5_000);    // half way: 5 of them still count
        for (int i = 0; i < 5; i++) assertThat(m.acquire("k", r, 1).allowed()).isTrue();
        assertThat(m.acquire("k", r, 1).allowed()).isFalse();
    }

    @Test
    void redis_sameAnswersAsMemory_andSharesAcrossClients() {
        Assumptions.assumeTrue(TestRedis.available(), "redis-server not installed");
        var cfg = new RedisConfig("redis://127.0.0.1:6379", Duration.ofSeconds(2), Duration.ofSeconds(3));   // a loaded machine
        String prefix = "arbiter-admission-test:" + UUID.randomUUID() + ":";
        try (var a = new Redis(cfg); var b = new Redis(cfg)) {
            Assumptions.assumeTrue(a.strings().isPresent(), "shared Redis not reachable");
            var ra = new RedisRateLimiter(a, prefix, 3, System::nanoTime);
            var rb = new RedisRateLimiter(b, prefix, 3, System::nanoTime);
            Rule bucket = new Rule(Rule.Dimension.REQUESTS, 6, Duration.ofMinutes(1), Rule.Algorithm.TOKEN_BUCKET, 0, Rule.Store.REDIS);
            for (int i = 0; i < 6; i++) assertThat((i % 2 == 0 ? ra : rb).acquire("k", bucket, 1).allowed()).isTrue();
            var refused = rb.acquire("k", bucket, 1);
            assertThat(refused.allowed()).isFalse();
            assertThat(refused.retryAfterMillis()).isBetween(1L, 10_000L);   // a tenth of a minute, less what passed
            ra.adjust("k", bucket, -2);   // given back, without waiting: the next command on the same connection sees it
            assertThat(ra.acquire("k", bucket, 1).allowed()).isTrue();

            Rule window = new Rule(Rule.Dimension.REQUESTS, 5, Duration.ofMinutes(1), Rule.Algorithm.SLIDING_WINDOW, 0, Rule.Store.REDIS);
            int admitted = 0;
            for (int i = 0; i < 12; i++) if ((i % 2 == 0 ? ra : rb).acquire("w", window, 1).allowed()) admitted++;
            assertThat(admitted).isEqualTo(5);
            assertThat(ra.shared()).isTrue();
        }
    }

    @Test
    void redis_acquireAll_takesEveryRuleOrNone() {
        Assumptions.assumeTrue(TestRedis.available(), "redis-server not installed");
        var cfg = new RedisConfig("redis://127.0.0.1:6379", Duration.ofSeconds(2), Duration.ofSeconds(3));
        String prefix = "arbiter-admission-test:" + UUID.randomUUID() + ":";
        try (var redis = new Redis(cfg)) {
            Assumptions.assumeTrue(redis.strings().isPresent(), "shared Redis not reachable");
            var l = new RedisRateLimiter(redis, prefix, 3, System::nanoTime);
            Rule bucket = new Rule(Rule.Dimension.REQUESTS, 2, Duration.ofMinutes(1), Rule.Algorithm.TOKEN_BUCKET, 0, Rule.Store.REDIS);
            Rule window = new Rule(Rule.Dimension.TOKENS, 100, Duration.ofMinutes(1), Rule.Algorithm.SLIDING_WINDOW, 0, Rule.Store.REDIS);
            var checks = java.util.List.of(new RedisRateLimiter.Check("key:a", bucket, 1), new RedisRateLimiter.Check("team:t", window, 30));
            for (int i = 0; i < 2; i++) {
                var b = l.acquireAll(checks);
                assertThat(b.taken()).isTrue();
                assertThat(b.decisions()).allMatch(RateLimiter.Decision::allowed);
            }
            assertThat(l.acquireAll(checks).decisions().get(1).remaining()).as("the window, after two taken").isEqualTo(40);
            var third = l.acquireAll(checks);   // the bucket is empty: nothing is taken, the window's 30 neither
            assertThat(third.taken()).isFalse();
            assertThat(third.decisions().get(0).allowed()).isFalse();
            assertThat(third.decisions().get(0).retryAfterMillis()).isBetween(1L, 30_000L);
            assertThat(third.decisions().get(1).allowed()).as("allowed, but not taken").isTrue();
            assertThat(l.acquire("team:t", window, 40).allowed()).as("the window still holds 40").isTrue();
            assertThat(l.acquire("team:t", window, 1).allowed()).isFalse();
        }
    }

    @Test
    void redisDown_countsThisGatewaysShare_withoutWaiting() throws Exception {
        Assumptions.assumeTrue(TestRedis.available(), "redis-server not installed");
        try (var server = TestRedis.start();
             var redis = new Redis(new RedisConfig(server.url(), Duration.ofSeconds(2), Duration.ofSeconds(3)))) {
            var l = new RedisRateLimiter(redis, "t:", 3, System::nanoTime);
            Rule r = new Rule(Rule.Dimension.REQUESTS, 30, Duration.ofMinutes(1), Rule.Algorithm.SLIDING_WINDOW, 0, Rule.Store.REDIS);
            assertThat(l.acquire("k", r, 1).allowed()).isTrue();
            assertThat(l.shared()).isTrue();
            server.stop();
            long start = System.nanoTime();
            int admitted = 0;
            for (int i = 0; i < 40; i++) if (l.acquire("k", r, 1).allowed()) admitted++;
            assertThat(admitted).isEqualTo(10);   // a third of 30
            assertThat(l.shared()).isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
            server.up();
            long until = System.nanoTime() + 5_000_000_000L;
            while (!l.shared() && System.nanoTime() < until) {
                l.acquire("again", r, 1);
                Thread.sleep(100);
            }
            assertThat(l.shared()).isTrue();
        }
    }
}
