package dev.arbiter.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arbiter.db.Postgres;
import dev.arbiter.db.PostgresConfig;
import dev.arbiter.db.Redis;
import dev.arbiter.db.RedisConfig;
import dev.arbiter.db.TcpCut;
import dev.arbiter.db.TestPostgres;
import dev.arbiter.db.TestRedis;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.RequestKey;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.Usage;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.llm.Choice;
import dev.arbiter.llm.FinishReason;
import dev.arbiter.pipeline.ServedBy;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The exact cache's tiers against the real Redis and PostgreSQL: read-through with promotion to faster tiers, TTL
 * expiry on an injected clock in every tier, and a tier taken away mid-test (a private Redis stopped, PostgreSQL cut
 * by a forwarder) costing a lookup at most its budget, then nothing once the tier's breaker opened.
 */
class ExactCacheTiersTest {
    /** A clock the test moves. */
    static final class TestClock implements InstantSource {
        final AtomicLong millis = new AtomicLong(1_800_000_000_000L);

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }

        void advance(Duration d) {
            millis.addAndGet(d.toMillis());
        }
    }

    static Redis redis;
    static Postgres postgres;
    final String prefix = "arbiter-cache-test-" + UUID.randomUUID();
    final TestClock clock = new TestClock();

    @BeforeAll
    static void connect() {
        assumeTrue(TestPostgres.reachable(), "PostgreSQL on 127.0.0.1:5432 (.ci/run starts it)");
        redis = connected(new Redis(new RedisConfig("redis://127.0.0.1:6379", Duration.ofSeconds(1), Duration.ofSeconds(2))));
        postgres = new Postgres(new PostgresConfig(TestPostgres.URL, "postgres", null, 4));
        assertThat(postgres.migrated()).isTrue();
    }

    /** Waits until the client has connected (the machine may be loaded), so the test starts with Redis up. */
    static Redis connected(Redis r) {
        long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (r.bytes().isEmpty() && System.nanoTime() < until) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        assertThat(r.bytes()).as("Redis reachable").isPresent();
        return r;
    }

    @AfterAll
    static void close() {
        if (redis != null) redis.close();
        if (postgres != null) postgres.close();
    }

    CacheConfig config(boolean async) {
        var d = CacheConfig.OFF;
        return new CacheConfig(true, Duration.ofHours(1), 1 << 20, 1 << 19, false, false, null,
                List.of(CacheConfig.TierKind.MEMORY, CacheConfig.TierKind.REDIS, CacheConfig.TierKind.POSTGRES),
                d.nonDeterministic(), List.of(), null, async, Duration.ofMillis(200), Duration.ofMillis(300), 100, prefix);
    }

    ExactCache cache(List<Tier> remote, boolean async) {
        return new ExactCache(new MemoryTier(1 << 20, clock), remote, config(async), clock);
    }

    static CacheKey key(String text) {
        var req = LlmRequest.builder(Operation.CHAT, WireFormat.OPENAI_CHAT).model("m")
                .messages(List.of(Message.text(Role.USER, text))).build();
        return new CacheKey("caller-1", "m", RequestKey.of(req, "caller-1"));
    }

    CachedAnswer answer(String text, Duration ttl) {
        var r = new LlmResponse("id-1", "m", 1, List.of(new Choice(0, Message.text(Role.ASSISTANT, text), FinishReason.STOP, null, null)),
                Usage.of(3, 4), WireFormat.OPENAI_CHAT, null);
        long now = clock.millis();
        return new CachedAnswer(new CachedAnswer.Whole(r), new ServedBy("m", "d", "mock"), "caller-1", "m", 0.01, 1_000_000,
                now, now + ttl.toMillis());
    }

    static String text(CachedAnswer a) {
        return ((CachedAnswer.Whole) a.body()).response().firstMessage().text();
    }

    @Test
    void get_readsThrough_andPromotesToFasterTiers() throws Exception {
        var redisTier = new RedisTier(redis, prefix, 1000);
        var pgTier = new PostgresTier(postgres);
        CacheKey k = key("promote " + prefix);
        try (var writer = cache(List.of(redisTier, pgTier), false)) {
            assertThat(writer.put(k, answer("stored once", Duration.ofHours(1)))).isTrue();
        }
        assertThat(redisTier.get(k, clock.millis())).isPresent();
        assertThat(pgTier.get(k, clock.millis())).isPresent();

        // a fresh node (empty memory) finds it in Redis and keeps it in memory
        try (var node = cache(List.of(redisTier, pgTier), true)) {
            assertThat(node.get(k)).hasValueSatisfying(a -> assertThat(text(a)).isEqualTo("stored once"));
            assertThat(node.entries()).isEqualTo(1);
        }

        // gone from Redis: found in PostgreSQL, and put back in Redis and memory
        redisTier.purge(new Purge(null, null, k.id()));
        assertThat(redisTier.get(k, clock.millis())).isEmpty();
        try (var node = cache(List.of(redisTier, pgTier), true)) {
            assertThat(node.get(k)).isPresent();
            assertThat(node.flush(Duration.ofSeconds(5))).isTrue();
            assertThat(node.entries()).isEqualTo(1);
            assertThat(redisTier.get(k, clock.millis())).isPresent();
            var purged = node.purge(new Purge("caller-1", "m", k.id()));
            assertThat(purged.path("memory").asLong()).isEqualTo(1);
            assertThat(purged.path("redis").asLong()).isEqualTo(1);
            assertThat(purged.path("postgres").asLong()).isEqualTo(1);
        }
    }

    @Test
    void entries_expireOnTheInjectedClock_inEveryTier() throws Exception {
        var redisTier = new RedisTier(redis, prefix, 1000);
        var pgTier = new PostgresTier(postgres);
        CacheKey k = key("expire " + prefix);
        try (var c = cache(List.of(redisTier, pgTier), false)) {
            c.put(k, answer("short-lived", Duration.ofMinutes(5)));
            clock.advance(Duration.ofMinutes(4));
            assertThat(c.get(k)).isPresent();
            clock.advance(Duration.ofMinutes(2));
            assertThat(c.get(k)).as("memory and every tier past the TTL").isEmpty();
            assertThat(redisTier.get(k, clock.millis())).isEmpty();
            assertThat(pgTier.get(k, clock.millis())).isEmpty();
            assertThat(c.entries()).isZero();
        }
        pgTier.purge(new Purge(null, null, k.id()));
        redisTier.purge(new Purge(null, null, k.id()));
    }

    @Test
    void redisStoppedMidTest_lookupsStayFast_andTheBreakerBypassesIt() throws Exception {
        assumeTrue(TestRedis.available(), "redis-server on the PATH");
        try (var server = TestRedis.start();
             var privateRedis = connected(new Redis(new RedisConfig(server.url(), Duration.ofMillis(300), Duration.ofSeconds(2))))) {
            var tier = new RedisTier(privateRedis, prefix, 1000);
            try (var c = cache(List.of(tier), false)) {
                CacheKey kept = key("kept in memory");
                c.put(kept, answer("kept", Duration.ofHours(1)));
                assertThat(tier.get(kept, clock.millis())).isPresent();
                server.stop();
                long start = System.nanoTime();
                for (int i = 0; i < 10; i++) {
                    assertThat(c.get(key("never stored " + i))).isEmpty();
                    assertThat(c.get(kept)).as("memory still serves").isPresent();
                }
                long took = Duration.ofNanos(System.nanoTime() - start).toMillis();
                assertThat(took).as("ten lookups, each bounded by a 200 ms budget, most skipped by the breaker").isLessThan(2_000);
                assertThat(c.tiers().path("redis").path("state").asText()).isEqualTo("open");
                c.put(key("written while down"), answer("x", Duration.ofHours(1)));   // no throw, no stall

                server.up();
                Thread.sleep(400);   // past tier-recovery: the breaker lets a trial through
                long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                CacheKey after = key("after recovery");
                while (System.nanoTime() < until && !stored(tier, after)) {
                    c.put(after, answer("back", Duration.ofHours(1)));
                    Thread.sleep(200);
                }
                assertThat(stored(tier, after)).as("writes reach Redis again once it is back").isTrue();
            }
        }
    }

    /** Whether the tier holds the key; false while it cannot be reached (Lettuce is reconnecting). */
    private boolean stored(Tier tier, CacheKey k) {
        try {
            return tier.get(k, clock.millis()).isPresent();
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void postgresCutMidTest_lookupsStayFast() throws Exception {
        try (var cut = new TcpCut(5432);
             var pg = new Postgres(new PostgresConfig("jdbc:postgresql://127.0.0.1:" + cut.port() + "/" + TestPostgres.DATABASE,
                     "postgres", null, 2))) {
            var tier = new PostgresTier(pg);
            try (var c = cache(List.of(tier), false)) {
                CacheKey k = key("pg cut " + prefix);
                c.put(k, answer("in postgres", Duration.ofHours(1)));
                assertThat(tier.get(k, clock.millis())).isPresent();
                cut.cut();
                long start = System.nanoTime();
                for (int i = 0; i < 10; i++) assertThat(c.get(key("pg never " + i))).isEmpty();
                assertThat(c.get(k)).as("memory still serves").isPresent();
                assertThat(Duration.ofNanos(System.nanoTime() - start).toMillis()).isLessThan(2_500);
                assertThat(c.tiers().path("postgres").path("state").asText()).isEqualTo("open");
                cut.restore();
                tier.purge(new Purge(null, null, k.id()));
            }
        }
    }
}
