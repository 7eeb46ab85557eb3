package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.wire.Json;
import dev.arbiter.mock.MockConfig;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Upstream faults injected at a real mock-upstream: each is mapped to a clear error in the client's format
 * (or an error event once a stream has started), with no upstream body or key echoed, and nothing hangs.
 */
class FaultsTest {
    static Fixture withFaults(MockConfig.Faults faults) {
        return new Fixture(MockConfig.DEFAULT.withFaults(faults), "", "");
    }

    static MockConfig.Faults only(String kind) {
        var n = MockConfig.Faults.NONE;
        return new MockConfig.Faults(kind.equals("error") ? 1 : 0, List.of(503), kind.equals("429") ? 1 : 0, Duration.ofSeconds(7),
                kind.equals("hang") ? 1 : 0, kind.equals("reset") ? 1 : 0, kind.equals("malformed") ? 1 : 0,
                kind.equals("drop") ? 1 : 0, n.dropAfterTokens());
    }

    static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]%s}";

    static void noLeak(HttpResponse<String> r) {
        assertThat(r.body()).doesNotContain(Fixture.OPENAI_KEY).doesNotContain(Fixture.ANTHROPIC_KEY)
                .doesNotContain("Exception").doesNotContain("mock upstream says");
        r.headers().map().values().forEach(v -> assertThat(v.toString()).doesNotContain(Fixture.OPENAI_KEY));
    }

    @Test
    void upstream5xx_becomes503ForOverloadOr502_inBothFormats() {
        try (var f = withFaults(only("error"))) {
            var r = f.post("/v1/chat/completions", CHAT.formatted("chat-openai", ""));
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(Json.parse(r.body()).at("/error/message").asText()).contains("up-openai").contains("HTTP 503");
            noLeak(r);
            var m = f.post("/v1/messages", "{\"model\":\"chat-anthropic\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertThat(m.statusCode()).isEqualTo(503);
            assertThat(Json.parse(m.body()).at("/error/type").asText()).isEqualTo("overloaded_error");
            noLeak(m);
        }
    }

    @Test
    void upstream429_passesStatusAndRetryAfter() {
        try (var f = withFaults(only("429"))) {
            var r = f.post("/v1/chat/completions", CHAT.formatted("chat-openai", ""));
            assertThat(r.statusCode()).isEqualTo(429);
            assertThat(r.headers().firstValue("retry-after")).hasValue("7");
            assertThat(Json.parse(r.body()).at("/error/type").asText()).isEqualTo("rate_limit_error");
            noLeak(r);
        }
    }

    @Test
    void upstreamHang_endsAtTheRequestDeadlineWith504() {
        try (var f = withFaults(only("hang"))) {
            long t0 = System.nanoTime();
            var r = f.post("/v1/chat/completions", CHAT.formatted("chat-openai", ""), Map.of("x-arbiter-timeout", "500ms"));
            assertThat(r.statusCode()).isEqualTo(504);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            var s = f.post("/v1/chat/completions", CHAT.formatted("chat-openai", ",\"stream\":true"), Map.of("x-arbiter-timeout", "500ms"));
            assertThat(s.statusCode()).isEqualTo(504);
            noLeak(r);
        }
    }

    @Test
    void upstreamReset_502() {
        try (var f = withFaults(only("reset"))) {
            var r = f.post("/v1/chat/completions", CHAT.formatted("chat-openai", ""));
            assertThat(r.statusCode()).isEqualTo(502);
            noLeak(r);
        }
    }

    @Test
    void upstreamMalformed_502_streamingAndNot() {
        try (var f = withFaults(only("malformed"))) {
            var r = f.post("/v1/chat/completions", CHAT.formatted("chat-openai", ""));
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(Json.parse(r.body()).at("/error/message").asText()).contains("malformed");
            var s = f.post("/v1/chat/completions", CHAT.formatted("chat-openai", ",\"stream\":true"));
            assertThat(s.statusCode()).isIn(200, 502);
            if (s.statusCode() == 200) assertThat(s.body()).contains("\"error\"");
            noLeak(s);
        }
    }

    @Test
    void upstreamDropMidStream_clientGetsErrorEventNeverSilentEnd() {
        try (var f = withFaults(only("drop"))) {
            var s = f.post("/v1/chat/completions", CHAT.formatted("chat-openai", ",\"stream\":true"));
            assertThat(s.statusCode()).isEqualTo(200);
            var data = EndpointsTest.sseData(s.body());
            assertThat(data).doesNotContain("[DONE]");
            JsonNode last = Json.parse(data.getLast());
            assertThat(last.at("/error/message").asText()).contains("ended before its final event");
            var m = f.post("/v1/messages", "{\"model\":\"chat-anthropic\",\"max_tokens\":50,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertThat(m.statusCode()).isEqualTo(200);
            var events = EndpointsTest.sseEvents(m.body());
            assertThat(events).doesNotContain("message_stop");
            assertThat(events.getLast()).isEqualTo("error");
            var cross = f.post("/v1/messages", "{\"model\":\"chat-openai\",\"max_tokens\":50,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertThat(EndpointsTest.sseEvents(cross.body()).getLast()).isEqualTo("error");
        }
    }

    @Test
    void unreachableUpstream_502NamingTheDeployment() {
        try (var f = new Fixture(MockConfig.DEFAULT, "", """
                  - name: dead
                    deployments: [{name: dead-one, provider: openai, base-url: "http://127.0.0.1:1/v1"}]
                """)) {
            var r = f.post("/v1/chat/completions", CHAT.formatted("dead", ""));
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(Json.parse(r.body()).at("/error/message").asText()).contains("could not connect").contains("dead-one");
        }
    }

    @Test
    void upstreamHang_pastTheDeploymentTimeout_504UpstreamTimeout_beforeTheRequestDeadline() {
        // the breaker is off: each request here must reach the hanging upstream (BreakersE2eTest covers it opening)
        String model = """
                  - name: chat-short
                    deployments: [{name: up-short, provider: openai, base-url: "{UPSTREAM}/v1", timeout: 300ms,
                                   circuit-breaker: {enabled: false}}]
                """;
        try (var f = new Fixture(MockConfig.DEFAULT.withFaults(only("hang")), "", model)) {
            for (String stream : new String[] {"", ",\"stream\":true"}) {
                long t0 = System.nanoTime();
                var r = f.post("/v1/chat/completions", CHAT.formatted("chat-short", stream), Map.of("x-arbiter-timeout", "20s"));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(504);
                assertThat(Json.parse(r.body()).at("/error/code").asText()).isEqualTo("upstream_timeout");
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofMillis(250), Duration.ofSeconds(5));
            }
        }
    }

    @Test
    void streamStallingBetweenEvents_pastTheDeploymentTimeout_endsWithATimeoutError() {
        String model = """
                  - name: chat-short
                    deployments: [{name: up-short, provider: openai, base-url: "{UPSTREAM}/v1", timeout: 300ms}]
                """;
        // one token a second: every wait for the next event outlasts the 300 ms timeout, the whole stream would take 16 s
        var slow = new MockConfig(MockConfig.Latency.NONE, Duration.ZERO, 1, 16, 64, MockConfig.Faults.NONE, 42);
        try (var f = new Fixture(slow, "", model)) {
            long t0 = System.nanoTime();
            var r = f.post("/v1/chat/completions", CHAT.formatted("chat-short", ",\"stream\":true"), Map.of("x-arbiter-timeout", "20s"));
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            assertThat(r.body()).as("status %d", r.statusCode()).contains("upstream_timeout");
        }
    }
}
