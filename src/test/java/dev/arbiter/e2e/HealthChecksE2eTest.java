package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.db.TcpCut;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockUpstream;
import dev.arbiter.wire.Json;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Active health checks over real HTTP: a deployment cut off opens its breaker (open for 30 s); while it is open the
 * gateway probes the upstream every 200 ms, and once the upstream is back a probe moves the breaker to half-open, so
 * traffic returns within a few seconds instead of 30, with no client request needed to find out. The probe carries
 * the deployment's key, never a caller's data, and stops once the breaker closes.
 */
class HealthChecksE2eTest {
    private static final String CHAT = FaultsTest.CHAT;
    private static final String CALLER_TEXT = "caller secret words 7f3a";

    private static JsonNode breaker(Fixture f, String deployment) {
        var r = f.get("/admin/breakers");
        assertThat(r.statusCode()).isEqualTo(200);
        for (var b : Json.parse(r.body()).path("breakers")) {
            if (b.path("deployment").asText().equals(deployment)) return b;
        }
        throw new AssertionError("no breaker " + deployment + " in " + r.body());
    }

    private static String chat(String model) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + CALLER_TEXT + "\"}]}";
    }

    @ParameterizedTest
    @ValueSource(strings = {"models", "completion"})
    void cutDeployment_breakerOpens_healthCheckSeesItBack_trafficReturnsLongBeforeOpenForEnds(String probe) throws Exception {
        var backend = MockUpstream.start("127.0.0.1", 0, MockConfig.DEFAULT);
        try (var cut = new TcpCut(backend.port());
             var f = new Fixture(MockConfig.DEFAULT, "", """
                       - name: flaky
                         fallbacks: [chat-openai]
                         deployments: [{name: comes-back, provider: openai, base-url: "http://127.0.0.1:%d/v1", api-key: "%s", timeout: 5s,
                                        circuit-breaker: {minimum-calls: 3, sliding-window: 5, open-for: 30s, half-open-calls: 1,
                                                          health-check: {probe: %s, interval: 200ms, timeout: 1s}}}]
                     """.formatted(cut.port(), Fixture.OPENAI_KEY, probe))) {
            cut.cut();
            for (int i = 0; i < 3; i++) {
                var r = f.post("/v1/chat/completions", chat("flaky"));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(r.headers().firstValue("x-arbiter-fallback")).hasValue("chat-openai");
            }
            assertThat(breaker(f, "comes-back").path("state").asText()).isEqualTo("open");

            // while the upstream is still down, probes fail and the breaker stays open
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            JsonNode b = breaker(f, "comes-back");
            while (b.path("health_check").path("failed_probes").asLong() < 2 && System.nanoTime() < until) {
                Thread.sleep(50);
                b = breaker(f, "comes-back");
            }
            assertThat(b.path("state").asText()).isEqualTo("open");
            JsonNode hc = b.path("health_check");
            assertThat(hc.path("probe").asText()).isEqualTo(probe);
            assertThat(hc.path("interval_ms").asLong()).isEqualTo(200);
            assertThat(hc.path("failed_probes").asLong()).isGreaterThanOrEqualTo(2);
            assertThat(hc.path("last_probe_ok").asBoolean(true)).isFalse();
            assertThat(hc.path("last_probe_at").asText()).isNotEmpty();
            assertThat(b.toString()).doesNotContain(Fixture.OPENAI_KEY);
            assertThat(backend.stats().totalRequests()).as("nothing got through the cut").isZero();

            // the upstream is back: a probe sees it, with no client request, long before the 30 s are up
            long restored = System.nanoTime();
            cut.restore();
            until = restored + Duration.ofSeconds(5).toNanos();
            while (!breaker(f, "comes-back").path("state").asText().equals("half_open") && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            b = breaker(f, "comes-back");
            assertThat(b.path("state").asText()).as(b.toString()).isEqualTo("half_open");
            assertThat(b.path("health_check").path("last_probe_ok").asBoolean()).isTrue();
            var stats = backend.stats();
            assertThat(stats.totalRequests()).as("only the probe reached the upstream").isEqualTo(1);
            assertThat(stats.lastPath()).isEqualTo(probe.equals("models") ? "/v1/models" : "/v1/chat/completions");
            assertThat(stats.lastHeaders().get("authorization")).as("the deployment's own key, as for calls")
                    .isEqualTo("Bearer " + Fixture.OPENAI_KEY);
            assertThat(stats.lastBody() == null ? "" : stats.lastBody()).doesNotContain(CALLER_TEXT);
            if (probe.equals("completion")) {
                assertThat(Json.parse(stats.lastBody()).path("max_tokens").asInt()).isEqualTo(1);
            }

            // traffic returns: the half-open call succeeds and closes the breaker
            var r = f.post("/v1/chat/completions", chat("flaky"));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-arbiter-deployment")).hasValue("comes-back");
            assertThat(r.headers().firstValue("x-arbiter-fallback")).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - restored)).as("well before open-for (30 s) ends")
                    .isLessThan(Duration.ofSeconds(5));
            assertThat(breaker(f, "comes-back").path("state").asText()).isEqualTo("closed");

            // no probe while closed
            long probes = breaker(f, "comes-back").path("health_check").path("probes").asLong();
            long upstreamCalls = backend.stats().totalRequests();
            Thread.sleep(700);
            assertThat(breaker(f, "comes-back").path("health_check").path("probes").asLong()).isEqualTo(probes);
            assertThat(breaker(f, "comes-back").path("health_check").path("probing").asBoolean()).isFalse();
            assertThat(backend.stats().totalRequests()).isEqualTo(upstreamCalls);
            var metrics = f.get("/metrics").body();
            assertThat(metrics).contains("arbiter_breaker_health_probes_total{deployment=\"comes-back\",model=\"flaky\",result=\"ok\"} 1.0");
            assertThat(metrics).containsPattern("arbiter_breaker_health_probes_total\\{deployment=\"comes-back\",model=\"flaky\",result=\"failed\"} [1-9]");
            assertThat(Json.parse(f.get("/admin/breakers").body()).path("shared_state").asText()).isEqualTo("memory");
        } finally {
            backend.stop();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"probe: pong", "interval: 1ms", "timeout: 0s"})
    void badHealthCheck_isRefusedAtStart_namingTheKey(String setting) {
        var yaml = """
                models:
                  - name: m
                    deployments: [{name: d, provider: openai, base-url: "http://127.0.0.1:1/v1",
                                   circuit-breaker: {health-check: {%s}}}]
                """.formatted(setting);
        var e = org.assertj.core.api.Assertions.catchThrowable(() -> dev.arbiter.cli.Sections.loader(k -> null)
                .parse(new java.io.ByteArrayInputStream(yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8)), "t.yaml"));
        assertThat(e).isInstanceOf(dev.arbiter.config.ConfigException.class)
                .hasMessageContaining("models[0].deployments[0].circuit-breaker.health-check." + setting.substring(0, setting.indexOf(':')));
    }
}
