package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.wire.Json;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A deployment's adaptive concurrency limit over real HTTP against {@code mock-upstream}: the limit falls when the
 * upstream slows down or answers 429, and comes back when it is well again; gauges and the admin API show it.
 */
@Timeout(60)
class AdaptiveConcurrencyTest {
    static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final MockConfig FAST = withLatency(Duration.ofMillis(10));

    static MockConfig withLatency(Duration d) {
        var c = MockConfig.DEFAULT;
        return new MockConfig(new MockConfig.Latency("fixed", d, Duration.ZERO), c.ttft(), c.tokensPerSecond(), c.outputTokens(),
                c.embeddingDimensions(), MockConfig.Faults.NONE, c.seed());
    }

    private static MockConfig refusing() {
        var n = MockConfig.Faults.NONE;
        return FAST.withFaults(new MockConfig.Faults(0, n.errorStatuses(), 1.0, n.retryAfter(), 0, 0, 0, 0, n.dropAfterTokens()));
    }

    private static final String MODELS = """
              - name: adaptive
                retry: {max-attempts: 1}
                deployments: [{name: ad, provider: openai, base-url: "{UPSTREAM}/v1", timeout: 20s,
                               concurrency: {adaptive: true, initial: 20, min: 1, max: 200}}]
            """;

    /** {@code clients} callers sending one request after another for {@code d}; the statuses they got, counted. */
    static Map<Integer, Long> load(Fixture f, String model, int clients, Duration d) throws Exception {
        var statuses = new ConcurrentHashMap<Integer, AtomicLong>();
        long until = System.nanoTime() + d.toNanos();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < clients; i++) {
                pool.submit(() -> {
                    while (System.nanoTime() < until) {
                        int s = f.post("/v1/chat/completions", CHAT.formatted(model)).statusCode();
                        statuses.computeIfAbsent(s, k -> new AtomicLong()).incrementAndGet();
                    }
                    return null;
                });
            }
            pool.shutdown();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        var out = new java.util.TreeMap<Integer, Long>();
        statuses.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    static JsonNode concurrency(Fixture f, String deployment) {
        var r = f.get("/admin/concurrency");
        assertThat(r.statusCode()).isEqualTo(200);
        for (JsonNode n : Json.parse(r.body()).path("deployments")) {
            if (n.path("deployment").asText().equals(deployment)) return n;
        }
        throw new AssertionError("no deployment " + deployment + " in " + r.body());
    }

    @Test
    void latencyRises_limitFalls_thenRecovers() throws Exception {
        try (var f = new Fixture(FAST, "limits: {queue-timeout: 20s}\n", MODELS)) {
            // one caller first: the latency average starts from a warm gateway, not from its first cold requests
            assertThat(load(f, "adaptive", 1, Duration.ofMillis(1500))).containsOnlyKeys(200);
            assertThat(load(f, "adaptive", 20, Duration.ofMillis(1500))).containsOnlyKeys(200);
            int before = concurrency(f, "ad").path("limit").asInt();
            assertThat(before).isGreaterThanOrEqualTo(20);

            // far slower than the fast phase's latency, even on a busy machine
            f.upstream.reconfigure(withLatency(Duration.ofMillis(800)));
            // more callers than the limit: the deployment is busy, so its latency counts (an idle one keeps its limit)
            assertThat(load(f, "adaptive", 60, Duration.ofMillis(3000))).containsOnlyKeys(200);   // waited, none failed
            JsonNode slow = concurrency(f, "ad");
            assertThat(slow.path("adaptive").asBoolean()).isTrue();
            assertThat(slow.path("limit").asInt()).isLessThan(Math.min(before / 2, 15));
            assertThat(slow.path("latency_limit").asInt()).isEqualTo(slow.path("limit").asInt());

            f.upstream.reconfigure(FAST);
            load(f, "adaptive", 20, Duration.ofMillis(2000));
            assertThat(concurrency(f, "ad").path("limit").asInt()).isGreaterThanOrEqualTo(20);
            assertThat(f.get("/metrics").body())
                    .containsPattern("arbiter_concurrency_limit\\{deployment=\"ad\",model=\"adaptive\"} \\d+")
                    .contains("arbiter_concurrency_in_flight{deployment=\"ad\",model=\"adaptive\"}")
                    .contains("arbiter_concurrency_queue_depth{class=\"low\",deployment=\"ad\",model=\"adaptive\"}");
        }
    }

    @Test
    void upstream429s_limitBacksOff_thenRecovers() throws Exception {
        try (var f = new Fixture(FAST, "", MODELS)) {
            load(f, "adaptive", 20, Duration.ofMillis(800));
            int before = concurrency(f, "ad").path("limit").asInt();

            f.upstream.reconfigure(refusing());
            assertThat(load(f, "adaptive", 20, Duration.ofMillis(800))).containsKey(429);
            JsonNode refused = concurrency(f, "ad");
            assertThat(refused.path("refusal_limit").asInt()).isLessThanOrEqualTo(5);
            assertThat(refused.path("limit").asInt()).isLessThanOrEqualTo(5).isLessThan(before);

            f.upstream.reconfigure(FAST);
            Thread.sleep(1100);   // the endpoint's 429 cooldown (Retry-After: 1) passes
            assertThat(load(f, "adaptive", 20, Duration.ofMillis(2000))).containsOnlyKeys(200);
            assertThat(concurrency(f, "ad").path("limit").asInt()).isGreaterThanOrEqualTo(20);
        }
    }
}
