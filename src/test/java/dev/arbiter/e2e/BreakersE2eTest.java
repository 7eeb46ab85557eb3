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
            assertThat(down.stats().totalRequests()).as("the breaker opened after minimum-calls failures").isEqualTo(3);
            assertThat(state(f, "down-one")).isEqualTo("open");
            // the rejections are in the trace as failed attempts, coded circuit_open
            long rejected = f.outcomes.stream().filter(o -> o.attempts() == 2).count();
            assertThat(rejected).isEqualTo(30);
            assertThat(f.outcomes.stream().flatMap(o -> o.trace().attempts().stream())
                    .filter(a -> "circuit_open".equals(a.error())).count()).isEqualTo(27);

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
}
