package dev.arbiter.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The shared Redis client against a real Redis: lazy connection, fast answers while Redis is down, reconnection. */
class RedisTest {
    @Test
    void connectsLazily_andServesCommands() throws Exception {
        assumeTrue(TestRedis.available(), "redis-server is not installed");
        try (var server = TestRedis.start(); var redis = new Redis(new RedisConfig(server.url(), Duration.ofMillis(500), Duration.ofMillis(500)))) {
            assertThat(redis.connected()).isFalse();
            var c = redis.strings().orElseThrow();
            c.sync().set("arbiter-test:k", "v");
            assertThat(c.sync().get("arbiter-test:k")).isEqualTo("v");
            redis.bytes().orElseThrow().sync().set("arbiter-test:b".getBytes(), new byte[] {1, 2, 3});
            assertThat(redis.bytes().orElseThrow().sync().get("arbiter-test:b".getBytes())).containsExactly(1, 2, 3);
            assertThat(redis.connected()).isTrue();
        }
    }

    @Test
    void unreachable_answersEmptyAtOnce_thenConnectsOnceRedisIsUp() throws Exception {
        assumeTrue(TestRedis.available(), "redis-server is not installed");
        try (var server = TestRedis.start()) {
            server.stop();
            try (var redis = new Redis(new RedisConfig(server.url(), Duration.ofMillis(200), Duration.ofMillis(300)))) {
                assertThat(redis.strings()).isEmpty();
                // within the reconnect pause no attempt is made: no connect timeout is waited out
                long start = System.nanoTime();
                for (int i = 0; i < 100; i++) assertThat(redis.strings()).isEmpty();
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(200);
                server.up();
                Thread.sleep(Redis.RECONNECT_PAUSE.toMillis() + 100);
                assertThat(redis.strings()).isPresent();
                redis.strings().get().sync().set("arbiter-test:k", "1");
                // stopped while connected: commands fail fast (rejected or timed out), never hang
                server.stop();
                start = System.nanoTime();
                try {
                    redis.strings().get().sync().get("arbiter-test:k");
                } catch (RuntimeException expected) {
                    // RedisException / RedisCommandTimeoutException: Redis is unavailable
                }
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1500);
                // and it reconnects by itself once Redis is back
                server.up();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                String got = null;
                while (got == null && System.nanoTime() < until) {
                    try {
                        redis.strings().get().sync().set("arbiter-test:k", "2");
                        got = redis.strings().get().sync().get("arbiter-test:k");
                    } catch (RuntimeException e) {
                        Thread.sleep(100);
                    }
                }
                assertThat(got).isEqualTo("2");
            }
        }
    }

    @Test
    void throughTcpCut_sharedRedis_cutAndRestored() throws Exception {
        try (var cut = new TcpCut(6379); var redis = new Redis(new RedisConfig("redis://127.0.0.1:" + cut.port(), Duration.ofMillis(300), Duration.ofMillis(300)))) {
            assumeTrue(redis.strings().isPresent(), "the shared Redis on 127.0.0.1:6379 is not running (.ci/run starts it)");
            redis.strings().get().sync().set("arbiter-test:cut", "1");
            cut.cut();
            long start = System.nanoTime();
            try {
                redis.strings().get().sync().get("arbiter-test:cut");
            } catch (RuntimeException expected) {
                // Redis is unavailable
            }
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1500);
            cut.restore();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            String got = null;
            while (got == null && System.nanoTime() < until) {
                try {
                    got = redis.strings().get().sync().get("arbiter-test:cut");
                } catch (RuntimeException e) {
                    Thread.sleep(100);
                }
            }
            assertThat(got).isEqualTo("1");
        }
    }
}
