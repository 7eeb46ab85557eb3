package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.db.TcpCut;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockUpstream;
import dev.arbiter.wire.Json;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two gateways on one Redis share their per-upstream state: a 429 cooldown or a breaker opening on gateway A makes
 * gateway B keep away from that deployment within a second (a gateway without the shared state, as a control, does
 * not); a close on A lets B call it again. With Redis cut off mid-test every request is still served, promptly.
 *
 * <p>Each model has a deployment of weight 1 on the upstream under test and a standby of weight 0 on the fixture's own
 * healthy upstream: a gateway tries the first one unless it knows to keep away, so whether B calls the upstream under
 * test is exactly whether B knows what A learned.
 */
class SharedUpstreamStateTest {
    private String prefix;

    @BeforeEach
    void prefix() {
        Assumptions.assumeTrue(sharedRedis(), "Redis not reachable on 127.0.0.1:6379");
        prefix = "arbiter-health-test:" + UUID.randomUUID() + ":";
    }

    private static boolean sharedRedis() {
        try (var s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", 6379), 500);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private Fixture gateway(int redisPort, String sharedState, int underTestPort) {
        return new Fixture(MockConfig.DEFAULT, """
                redis: {url: "redis://127.0.0.1:%d", timeout: 500ms, connect-timeout: 500ms}
                resilience: {shared-state: %s, key-prefix: "%s", sync-interval: 100ms}
                """.formatted(redisPort, sharedState, prefix), """
                  - name: shared
                    deployments:
                      - {name: first, provider: openai, base-url: "http://127.0.0.1:%1$d/v1", api-key: "%2$s", weight: 1, timeout: 5s,
                         circuit-breaker: {minimum-calls: 2, sliding-window: 4, open-for: 30s, half-open-calls: 1}}
                      - {name: standby, provider: openai, base-url: "{UPSTREAM}/v1", api-key: "%2$s", weight: 0}
                """.formatted(underTestPort, Fixture.OPENAI_KEY));
    }

    /** Waits until each gateway has read the shared state once (its Redis client connects after it starts). */
    private static void synced(Fixture... gateways) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (Fixture g : gateways) {
            while (!Json.parse(g.get("/admin/breakers").body()).path("shared_state_reachable").asBoolean() && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertThat(Json.parse(g.get("/admin/breakers").body()).path("shared_state_reachable").asBoolean()).isTrue();
        }
    }

    private static String chat() {
        return FaultsTest.CHAT.formatted("shared", "");
    }

    private static MockUpstream upstream(MockConfig.Faults faults) {
        return MockUpstream.start("127.0.0.1", 0, MockConfig.DEFAULT.withFaults(faults));
    }

    private static MockConfig.Faults rateLimited() {
        var n = MockConfig.Faults.NONE;
        return new MockConfig.Faults(0, n.errorStatuses(), 1.0, Duration.ofSeconds(20), 0, 0, 0, 0, n.dropAfterTokens());
    }

    private static MockConfig.Faults failing() {
        var n = MockConfig.Faults.NONE;
        return new MockConfig.Faults(1.0, List.of(503), 0, n.retryAfter(), 0, 0, 0, 0, n.dropAfterTokens());
    }

    /** Sends {@code n} requests to {@code g}; each must be served by the standby. */
    private static void servedByStandby(Fixture g, int n) {
        for (int i = 0; i < n; i++) {
            var r = g.post("/v1/chat/completions", chat());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-arbiter-deployment")).hasValue("standby");
        }
    }

    private static void sleepUntil(long nanos) throws InterruptedException {
        long left = nanos - System.nanoTime();
        if (left > 0) Thread.sleep(Duration.ofNanos(left));
    }

    @Test
    void cooldownAfter429OnGatewayA_makesGatewayBSkipTheDeployment_withinASecond() throws Exception {
        var limited = upstream(rateLimited());
        try (var a = gateway(6379, "redis", limited.port()); var b = gateway(6379, "redis", limited.port());
             var control = gateway(6379, "memory", limited.port())) {
            synced(a, b);
            var r = a.post("/v1/chat/completions", chat());
            long learned = System.nanoTime();
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-arbiter-deployment")).as("the 429 sent A to its standby at once").hasValue("standby");
            assertThat(limited.stats().totalRequests()).isEqualTo(1);

            sleepUntil(learned + Duration.ofSeconds(1).toNanos());
            servedByStandby(b, 10);
            assertThat(limited.stats().totalRequests()).as("B never called the cooling deployment").isEqualTo(1);
            assertThat(a.outcomes.size() + b.outcomes.size()).isEqualTo(11);
            assertThat(b.outcomes.stream().allMatch(o -> o.attempts() == 1)).isTrue();

            // the control gateway keeps its state to itself, so it does call the deployment and learns on its own
            control.post("/v1/chat/completions", chat());
            assertThat(limited.stats().totalRequests()).isEqualTo(2);
        } finally {
            limited.stop();
        }
    }

    private static JsonNode breaker(Fixture f) {
        for (var b : Json.parse(f.get("/admin/breakers").body()).path("breakers")) {
            if (b.path("deployment").asText().equals("first")) return b;
        }
        throw new AssertionError("no breaker");
    }

    @Test
    void breakerOpenedOnGatewayA_isHonouredByGatewayB_andItsResetLetsBCallAgain() throws Exception {
        var down = upstream(failing());
        try (var a = gateway(6379, "redis", down.port()); var b = gateway(6379, "redis", down.port())) {
            synced(a, b);
            for (int i = 0; i < 2; i++) assertThat(a.post("/v1/chat/completions", chat()).statusCode()).isEqualTo(200);
            long learned = System.nanoTime();
            assertThat(breaker(a).path("state").asText()).isEqualTo("open");
            assertThat(down.stats().totalRequests()).isEqualTo(2);

            sleepUntil(learned + Duration.ofSeconds(1).toNanos());
            JsonNode seen = breaker(b);
            assertThat(seen.path("state").asText()).as("B's own breaker saw nothing").isEqualTo("closed");
            assertThat(seen.path("open_elsewhere_ms").asLong()).isBetween(25_000L, 30_000L);
            servedByStandby(b, 10);
            assertThat(down.stats().totalRequests()).as("B never called the deployment open on A").isEqualTo(2);

            // A's reset withdraws the opening: B calls the deployment again within a second
            var reset = a.send(HttpRequest.newBuilder(a.uri("/admin/breakers/first/reset")).POST(HttpRequest.BodyPublishers.noBody()).build());
            assertThat(reset.statusCode()).isEqualTo(200);
            long withdrawn = System.nanoTime();
            sleepUntil(withdrawn + Duration.ofSeconds(1).toNanos());
            assertThat(breaker(b).has("open_elsewhere_ms")).isFalse();
            assertThat(b.post("/v1/chat/completions", chat()).statusCode()).isEqualTo(200);
            assertThat(down.stats().totalRequests()).isEqualTo(3);
        } finally {
            down.stop();
        }
    }

    @Test
    void redisCutMidTest_everyRequestIsStillServedPromptly_andEachGatewayKeepsItsOwnState() throws Exception {
        var limited = upstream(rateLimited());
        try (var redis = new TcpCut(6379); var a = gateway(redis.port(), "redis", limited.port());
             var b = gateway(redis.port(), "redis", limited.port())) {
            synced(a, b);
            servedByStandby(a, 1);   // the 429 from the first deployment, then the standby
            Thread.sleep(300);
            servedByStandby(b, 3);
            assertThat(limited.stats().totalRequests()).as("shared while Redis is up").isEqualTo(1);

            redis.cut();
            long slowest = 0;
            for (int i = 0; i < 30; i++) {
                Fixture g = i % 2 == 0 ? a : b;
                long t0 = System.nanoTime();
                var r = g.post("/v1/chat/completions", chat());
                slowest = Math.max(slowest, System.nanoTime() - t0);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            }
            assertThat(Duration.ofNanos(slowest)).as("no request waits for Redis").isLessThan(Duration.ofMillis(400));
            var view = Json.parse(a.get("/admin/breakers").body());
            assertThat(view.path("shared_state").asText()).isEqualTo("redis");
            assertThat(view.path("shared_state_reachable").asBoolean()).isFalse();
            // each gateway still keeps away from the cooling deployment by what it knows itself (at most one 429 each)
            assertThat(limited.stats().totalRequests()).isLessThanOrEqualTo(3);
            redis.restore();
        } finally {
            limited.stop();
        }
    }
}
