package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockUpstream;
import dev.arbiter.observe.Outcome;
import dev.arbiter.wire.Json;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Retries and fallbacks over real HTTP: a gateway in front of {@code mock-upstream}s with injected faults (and a
 * hand-written upstream where the mock cannot give the answer wanted), judged by what the client sees, the
 * upstream's own request counts and the request's trace.
 */
class ResilienceTest {
    static final String CHAT = FaultsTest.CHAT;

    private static MockConfig.Faults errors(double rate, List<Integer> statuses) {
        var n = MockConfig.Faults.NONE;
        return new MockConfig.Faults(rate, statuses, 0, n.retryAfter(), 0, 0, 0, 0, n.dropAfterTokens());
    }

    private static String deployment(String model, String deployment, String base, String more) {
        return """
                  - name: %s
                    %s
                    deployments: [{name: %s, provider: openai, base-url: "%s/v1", timeout: 20s}]
                """.formatted(model, more, deployment, base);
    }

    private static Outcome outcome(Fixture f, HttpResponse<String> r) {
        String id = r.headers().firstValue("x-request-id").orElseThrow();
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < until) {
            for (Outcome o : f.outcomes) if (o.requestId().equals(id)) return o;
            Thread.onSpinWait();
        }
        throw new AssertionError("no outcome for " + id);
    }

    @Test
    void fivePercentTransientFaults_threeAttempts_atLeast999In1000Succeed() throws Exception {
        // 5% in all: 500 and 503 (2.5%), 429 with a short Retry-After (1.25%), connection resets (1.25%)
        var faults = new MockConfig.Faults(0.025, List.of(500, 503), 0.0125, Duration.ofMillis(20), 0, 0.0125, 0, 0, 2);
        try (var f = new Fixture(MockConfig.DEFAULT.withFaults(faults), "", "");
             var pool = Executors.newFixedThreadPool(16)) {
            var futures = new ArrayList<Future<Integer>>();
            for (int i = 0; i < 2000; i++) {
                futures.add(pool.submit(() -> f.post("/v1/chat/completions", CHAT.formatted("chat-openai", "")).statusCode()));
            }
            int ok = 0;
            for (var fu : futures) if (fu.get() == 200) ok++;
            assertThat(ok).isGreaterThanOrEqualTo(1998);
            var stats = f.upstream.stats();
            assertThat(stats.faults("error") + stats.faults("rate_limited") + stats.faults("reset"))
                    .as("faults were injected: %s", stats.faults()).isGreaterThan(40);
            assertThat(f.outcomes.stream().filter(o -> o.attempts() > 1).count()).isGreaterThan(40);
        }
    }

    @Test
    void modelWhoseOnlyDeploymentFails_fallsBackToTheNextModel_andSaysSo() {
        var down = MockUpstream.start("127.0.0.1", 0, MockConfig.DEFAULT.withFaults(errors(1, List.of(503))));
        String base = "http://127.0.0.1:" + down.port();
        try (var f = new Fixture(MockConfig.DEFAULT, "", deployment("flaky", "down-one", base, "fallbacks: [chat-openai]"))) {
            for (String stream : new String[] {"", ",\"stream\":true"}) {
                var r = f.post("/v1/chat/completions", CHAT.formatted("flaky", stream));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(r.headers().firstValue("x-arbiter-fallback")).hasValue("chat-openai");
                assertThat(r.headers().firstValue("x-arbiter-model")).hasValue("chat-openai");
                assertThat(r.headers().firstValue("x-arbiter-deployment")).hasValue("up-openai");
                assertThat(r.headers().firstValue("x-arbiter-attempts")).hasValue("2");
                if (!stream.isEmpty()) assertThat(EndpointsTest.sseData(r.body()).getLast()).isEqualTo("[DONE]");
                // the fallback was sent its own model name, not the one asked for
                assertThat(Json.parse(f.upstream.stats().lastBody()).path("model").asText()).isEqualTo("chat-openai");
            }
            assertThat(down.stats().totalRequests()).isEqualTo(2);
            var plain = f.post("/v1/chat/completions", CHAT.formatted("chat-openai", ""));
            assertThat(plain.headers().firstValue("x-arbiter-fallback")).isEmpty();
            assertThat(plain.headers().firstValue("x-arbiter-attempts")).hasValue("1");
        } finally {
            down.stop();
        }
    }

    @Test
    void badRequest_isNeverRetried_exactlyOneUpstreamCall() {
        try (var f = new Fixture(MockConfig.DEFAULT.withFaults(errors(1, List.of(400))), "", "")) {
            var r = f.post("/v1/chat/completions", CHAT.formatted("chat-openai", ""));
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.headers().firstValue("x-arbiter-attempts")).hasValue("1");
            assertThat(f.upstream.stats().totalRequests()).isEqualTo(1);
        }
    }

    @Test
    void transientFailureEverywhere_triesMaxAttempts_andTheErrorSaysHowMany() {
        try (var f = new Fixture(MockConfig.DEFAULT.withFaults(errors(1, List.of(503))), "", "")) {
            var r = f.post("/v1/chat/completions", CHAT.formatted("chat-openai", ""));
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("x-arbiter-attempts")).hasValue("3");
            assertThat(f.upstream.stats().totalRequests()).isEqualTo(3);
        }
    }

    static final String COMPLETION = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":"
            + "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hello\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}";

    private static void answer(OutputStream out, String head, String body) throws Exception {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        out.write((head + "\r\ncontent-type: application/json\r\ncontent-length: " + b.length + "\r\nconnection: close\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        out.write(b);
        out.flush();
    }

    @Test
    void rateLimitedWithRetryAfter_theNextAttemptToThatDeploymentWaitsAtLeastThatLong() throws Exception {
        try (var upstream = new RawUpstream(); var f = new Fixture(MockConfig.DEFAULT, "", upstream.model("limited"))) {
            upstream.serveOnce(out -> answer(out, "HTTP/1.1 429 Too Many Requests\r\nretry-after-ms: 400",
                    "{\"error\":{\"message\":\"slow down\"}}"));
            upstream.serveOnce(out -> answer(out, "HTTP/1.1 200 OK", COMPLETION));
            var r = f.post("/v1/chat/completions", CHAT.formatted("limited", ""));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-arbiter-attempts")).hasValue("2");
            var attempts = outcome(f, r).trace().attempts();
            assertThat(attempts).hasSize(2);
            assertThat(attempts.get(0).status()).isEqualTo(429);
            assertThat(Duration.ofNanos(attempts.get(1).startNanos() - attempts.get(0).endNanos()))
                    .isGreaterThanOrEqualTo(Duration.ofMillis(400));
        }
    }

    @Test
    void rateLimitedWithRetryAfter_anotherFreeDeploymentIsUsedAtOnce() {
        var n = MockConfig.Faults.NONE;
        var limited = MockUpstream.start("127.0.0.1", 0, MockConfig.DEFAULT.withFaults(
                new MockConfig.Faults(0, n.errorStatuses(), 1, Duration.ofSeconds(3), 0, 0, 0, 0, 2)));
        String model = """
                  - name: pair
                    deployments:
                      - {name: limited, provider: openai, base-url: "http://127.0.0.1:%d/v1"}
                      - {name: free, provider: openai, base-url: "{UPSTREAM}/v1"}
                """.formatted(limited.port());
        try (var f = new Fixture(MockConfig.DEFAULT, "", model)) {
            int movedOn = 0;
            for (int i = 0; i < 12; i++) {
                long t0 = System.nanoTime();
                var r = f.post("/v1/chat/completions", CHAT.formatted("pair", ""));
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("x-arbiter-deployment")).hasValue("free");
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
                var attempts = outcome(f, r).trace().attempts();
                if (attempts.size() == 2) {
                    movedOn++;
                    assertThat(attempts.get(0).deployment()).isEqualTo("limited");
                    assertThat(Duration.ofNanos(attempts.get(1).startNanos() - attempts.get(0).endNanos()))
                            .isLessThan(Duration.ofMillis(200));
                }
            }
            assertThat(movedOn).as("the limited deployment was ranked first at least once").isPositive();
        } finally {
            limited.stop();
        }
    }

    @Test
    void streamFailingBeforeItsFirstEvent_isRetried_andTheClientGetsOneWholeStream() throws Exception {
        String events = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":"
                + "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"hello\"},\"finish_reason\":\"stop\"}]}\n\n"
                + "data: [DONE]\n\n";
        try (var upstream = new RawUpstream(); var f = new Fixture(MockConfig.DEFAULT, "", upstream.model("cut"))) {
            // a 200 event stream that ends before any event, then a whole one
            upstream.serveOnce(out -> {
                out.write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();
            });
            upstream.serveOnce(out -> {
                out.write(("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n" + events)
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();
            });
            var r = f.post("/v1/chat/completions", CHAT.formatted("cut", ",\"stream\":true"));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-arbiter-attempts")).hasValue("2");
            var data = EndpointsTest.sseData(r.body());
            assertThat(data.getLast()).isEqualTo("[DONE]");
            assertThat(r.body()).contains("hello").doesNotContain("\"error\"");
        }
    }
}
