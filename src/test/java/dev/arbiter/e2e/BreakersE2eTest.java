package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockUpstream;
import dev.arbiter.observe.Outcome;
import dev.arbiter.wire.Json;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Circuit breakers over real HTTP: a deployment that always fails, behind a gateway with a healthy fallback. Once its
 * breaker opens, no further call reaches it, the fallback serves every request, and the admin API shows, opens and
 * resets it.
 */
class BreakersE2eTest {
    private static final String CHAT = FaultsTest.CHAT;

    private static MockConfig.Faults alwaysFailing() {
        var n = MockConfig.Faults.NONE;
        return new MockConfig.Faults(1.0, List.of(503), 0, n.retryAfter(), 0, 0, 0, 0, n.dropAfterTokens());
    }

    private static String flaky(String base) {
        return """
                  - name: flaky
                    fallbacks: [chat-openai]
                    deployments: [{name: down-one, provider: openai, base-url: "%s/v1", timeout: 20s,
                                   circuit-breaker: {failure-rate-threshold: 50, minimum-calls: 3, sliding-window: 10, open-for: 30s, half-open-calls: 1}}]
                """.formatted(base);
    }

    private static HttpResponse<String> admin(Fixture f, String path) {
        return f.send(HttpRequest.newBuilder(f.uri(path)).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    private static String state(Fixture f, String deployment) {
        var r = f.get("/admin/breakers");
        assertThat(r.statusCode()).isEqualTo(200);
        for (var b : Json.parse(r.body()).path("breakers")) {
            if (b.path("deployment").asText().equals(deployment)) return b.path("state").asText();
        }
        throw new AssertionError("no breaker " + deployment + " in " + r.body());
    }

    @Test
    void downDeployment_opensItsBreaker_thenNoCallReachesIt_andTheFallbackServesEveryRequest() {
        var down = MockUpstream.start("127.0.0.1", 0, MockConfig.DEFAULT.withFaults(alwaysFailing()));
        try (var f = new Fixture(MockConfig.DEFAULT, "", flaky("http://127.0.0.1:" + down.port()))) {
            for (int i = 0; i < 30; i++) {
                String stream = i % 2 == 0 ? "" : ",\"stream\":true";
                var r = f.post("/v1/chat/completions", CHAT.formatted("flaky", stream));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(r.headers().firstValue("x-arbiter-fallback")).hasValue("chat-openai");
            }
            // LiteLLM #40405: a deployment that is down is not tried on every request once its breaker opened
            assertThat(down.stats().totalRequests()).as("the breaker opened after minimum-calls failures").isEqualTo(3);
            assertThat(state(f, "down-one")).isEqualTo("open");
            // routing ranks the open deployment last: the fallback is tried first, and nothing is even rejected
            assertThat(f.outcomes.stream().filter(o -> o.attempts() == 2).count()).isEqualTo(3);
            assertThat(f.outcomes.stream().filter(o -> o.attempts() == 1).count()).isEqualTo(27);
            assertThat(f.outcomes.stream().flatMap(o -> o.trace().attempts().stream())
                    .filter(a -> "circuit_open".equals(a.error())).count()).isZero();

            // reset: the next request reaches the deployment again (and fails, and falls back)
            var reset = admin(f, "/admin/breakers/down-one/reset");
            assertThat(reset.statusCode()).as(reset.body()).isEqualTo(200);
            assertThat(Json.parse(reset.body()).path("state").asText()).isEqualTo("closed");
            assertThat(f.post("/v1/chat/completions", CHAT.formatted("flaky", "")).statusCode()).isEqualTo(200);
            assertThat(down.stats().totalRequests()).isEqualTo(4);
        } finally {
            down.stop();
        }
    }

    @Test
    void everyCandidateOpen_answers503WithRetryAfter_withoutCallingAnyUpstream() {
        try (var f = new Fixture()) {
            var opened = admin(f, "/admin/breakers/chat-openai/up-openai/open");
            assertThat(opened.statusCode()).as(opened.body()).isEqualTo(200);
            assertThat(state(f, "up-openai")).isEqualTo("forced_open");
            long before = f.upstream.stats().totalRequests();
            var r = f.post("/v1/chat/completions", CHAT.formatted("chat-openai", ""));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            assertThat(r.body()).contains("circuit_open");
            assertThat(r.headers().firstValue("retry-after")).isPresent();
            assertThat(f.upstream.stats().totalRequests()).isEqualTo(before);

            assertThat(admin(f, "/admin/breakers/up-openai/reset").statusCode()).isEqualTo(200);
            assertThat(f.post("/v1/chat/completions", CHAT.formatted("chat-openai", "")).statusCode()).isEqualTo(200);
            assertThat(admin(f, "/admin/breakers/nobody/open").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void downDeployment_breakerOpens_thenClosesOnceTheUpstreamRecovers_throughHalfOpenProbes_onTheRealClock() throws Exception {
        var backend = MockUpstream.start("127.0.0.1", 0, MockConfig.DEFAULT);
        try (var cut = new dev.arbiter.db.TcpCut(backend.port());
             var f = new Fixture(MockConfig.DEFAULT, "", """
                       - name: flaky
                         fallbacks: [chat-openai]
                         deployments: [{name: comes-back, provider: openai, base-url: "http://127.0.0.1:%d/v1", timeout: 5s,
                                        circuit-breaker: {minimum-calls: 3, sliding-window: 5, open-for: 1s, half-open-calls: 1}}]
                     """.formatted(cut.port()))) {
            cut.cut();
            for (int i = 0; i < 3; i++) {
                var r = f.post("/v1/chat/completions", CHAT.formatted("flaky", ""));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(r.headers().firstValue("x-arbiter-fallback")).hasValue("chat-openai");
            }
            assertThat(state(f, "comes-back")).isEqualTo("open");
            int before = f.outcomes.size();
            for (int i = 0; i < 5; i++) {
                assertThat(f.post("/v1/chat/completions", CHAT.formatted("flaky", "")).headers().firstValue("x-arbiter-deployment"))
                        .hasValue("up-openai");
            }
            assertThat(f.outcomes.subList(before, f.outcomes.size()).stream().flatMap(o -> o.trace().attempts().stream())
                    .map(dev.arbiter.pipeline.Trace.AttemptRecord::deployment)).as("no call went to the open deployment")
                    .doesNotContain("comes-back");
            // a rejection by an open breaker costs well under a millisecond and no network call
            var d = f.gateway.registry().deployment("flaky", "comes-back").orElseThrow();
            long t0 = System.nanoTime();
            int rejections = 0;
            for (int i = 0; i < 10_000; i++) {
                try {
                    f.gateway.breakers().enter(d);
                } catch (dev.arbiter.error.ArbiterException.Overloaded e) {
                    rejections++;
                }
            }
            assertThat(rejections).isEqualTo(10_000);
            assertThat(Duration.ofNanos((System.nanoTime() - t0) / 10_000)).isLessThan(Duration.ofMillis(1));

            cut.restore();
            long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            String servedBy = "";
            while (!servedBy.equals("comes-back") && System.nanoTime() < until) {
                Thread.sleep(100);
                var r = f.post("/v1/chat/completions", CHAT.formatted("flaky", ""));
                assertThat(r.statusCode()).isEqualTo(200);
                servedBy = r.headers().firstValue("x-arbiter-deployment").orElseThrow();
            }
            assertThat(servedBy).as("a half-open probe reached the recovered upstream").isEqualTo("comes-back");
            assertThat(state(f, "comes-back")).isEqualTo("closed");
            for (int i = 0; i < 5; i++) {
                var r = f.post("/v1/chat/completions", CHAT.formatted("flaky", ""));
                assertThat(r.headers().firstValue("x-arbiter-deployment")).hasValue("comes-back");
                assertThat(r.headers().firstValue("x-arbiter-fallback")).isEmpty();
            }
            var metrics = f.get("/metrics").body();
            assertThat(metrics).contains("arbiter_breaker_state{deployment=\"comes-back\",model=\"flaky\",state=\"closed\"} 1.0");
            assertThat(metrics).containsPattern("arbiter_breaker_transitions_total\\{deployment=\"comes-back\",model=\"flaky\",to=\"half_open\"} [1-9]");
        } finally {
            backend.stop();
        }
    }
}
