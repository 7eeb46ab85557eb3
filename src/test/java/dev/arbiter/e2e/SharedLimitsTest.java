package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.db.TestRedis;
import dev.arbiter.mock.MockConfig;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Limits kept in Redis hold across gateways, and degrade to each gateway's share when Redis goes away. */
class SharedLimitsTest {
    private static final String CHAT = "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    private static Fixture gateway(String redisUrl, String limits) {
        return new Fixture(MockConfig.DEFAULT, """
                redis: {url: "%s", timeout: 2s, connect-timeout: 3s}
                rate-limits:
                %s""".formatted(redisUrl, limits), "");
    }

    private static boolean sharedRedis() {
        try (var s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", 6379), 500);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void threeGateways_oneRedis_admitTheLimitWithinFivePercent() throws Exception {
        int limit = 60;
        int admitted = hammer("global: {algorithm: sliding-window, custom: [{requests: %d, per: 10s}]}".formatted(limit), CHAT, false);
        assertThat(admitted).isBetween((int) Math.floor(limit * 0.95), (int) Math.ceil(limit * 1.05));
    }

    @Test
    void threeGateways_oneRedis_admitTheTokenLimitWithinFivePercent() throws Exception {
        int tokens = 3000;
        // max_tokens as the mock answers (16), so the estimate is close to the usage it is corrected to
        String chat = "{\"model\":\"mock-chat\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        int used = hammer("global: {algorithm: sliding-window, custom: [{tokens: %d, per: 10s}]}".formatted(tokens), chat, true);
        assertThat(used).isBetween((int) Math.floor(tokens * 0.95), (int) Math.ceil(tokens * 1.05));
    }

    /** Three gateways on one Redis under load from all sides for 7 s of one 10 s window: requests (or tokens) admitted. */
    private static int hammer(String global, String body, boolean countTokens) throws Exception {
        Assumptions.assumeTrue(sharedRedis(), "Redis not reachable on 127.0.0.1:6379");
        String limits = """
                  nodes: 3
                  key-prefix: "arbiter-admission-test:%s:"
                  %s
                """.formatted(UUID.randomUUID(), global);
        List<Fixture> gateways = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) gateways.add(gateway("redis://127.0.0.1:6379", limits));
            for (Fixture g : gateways) g.get("/v1/models");
            // start just after a 10 s window begins (Redis runs on this host: its clock is this clock), end well before it ends
            while (System.currentTimeMillis() % 10_000 > 300) Thread.sleep(20);
            long stopAt = System.currentTimeMillis() + 7_000;
            var admitted = new AtomicInteger();
            var refused = new AtomicInteger();
            var other = new AtomicInteger();
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> all = new ArrayList<>();
                for (Fixture g : gateways) {
                    for (int t = 0; t < 8; t++) {
                        all.add(pool.submit(() -> {
                            try (var client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
                                for (int n = 0; n < 40 && System.currentTimeMillis() < stopAt; n++) {
                                    var r = client.send(HttpRequest.newBuilder(g.uri("/v1/chat/completions")).timeout(Duration.ofSeconds(10))
                                            .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                            HttpResponse.BodyHandlers.ofString());
                                    if (r.statusCode() == 200) {
                                        admitted.addAndGet(countTokens
                                                ? new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).path("usage").path("total_tokens").asInt()
                                                : 1);
                                    } else {
                                        (r.statusCode() == 429 ? refused : other).incrementAndGet();
                                    }
                                }
                            }
                            return null;
                        }));
                    }
                }
                for (var f : all) f.get(60, TimeUnit.SECONDS);
            }
            assertThat(other.get()).isZero();
            assertThat(refused.get()).as("load well beyond the limit").isGreaterThan(20);
            return admitted.get();
        } finally {
            gateways.forEach(Fixture::close);
        }
    }

    @Test
    void redisStoppedMidTest_limitsFallBackToTheShare_noRequestFailsOrStalls() throws Exception {
        Assumptions.assumeTrue(TestRedis.available(), "redis-server not installed");
        try (var redis = TestRedis.start(); Fixture g = gateway(redis.url(), """
                  nodes: 2
                  global: {rpm: 20, algorithm: sliding-window}
                """)) {
            for (int i = 0; i < 5; i++) assertThat(g.post("/v1/chat/completions", CHAT).statusCode()).isEqualTo(200);
            redis.stop();
            int ok = 0;
            for (int i = 0; i < 30; i++) {
                long start = System.nanoTime();
                var r = g.post("/v1/chat/completions", CHAT);
                assertThat(r.statusCode()).isIn(200, 429);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));   // not a 2 s Redis timeout
                if (r.statusCode() == 200) ok++;
            }
            assertThat(ok).isEqualTo(10);   // this gateway's half of 20 a minute
        }
    }
}
