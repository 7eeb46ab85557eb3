package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.wire.Json;
import dev.arbiter.mock.MockConfig;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Bounded concurrency sheds at once with Retry-After; shutdown drains what is in flight. */
class LimitsAndShutdownTest {
    static MockConfig slowUpstream(Duration latency) {
        return new MockConfig(new MockConfig.Latency("fixed", latency, Duration.ZERO), Duration.ZERO, 0, 8, 8,
                MockConfig.Faults.NONE, 1);
    }

    static final String CHAT = "{\"model\":\"chat-openai\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void overGlobalLimit_shedAtOnceWith503AndRetryAfter() throws Exception {
        try (var f = new Fixture(slowUpstream(Duration.ofMillis(1500)), "limits: {max-in-flight: 1, max-queued: 0}", "")) {
            var first = CompletableFuture.supplyAsync(() -> f.post("/v1/chat/completions", CHAT));
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (f.upstream.stats().totalRequests() == 0 && System.nanoTime() < until) Thread.sleep(10);
            long t0 = System.nanoTime();
            HttpResponse<String> shed = f.post("/v1/chat/completions", CHAT);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(1000));
            assertThat(shed.statusCode()).isEqualTo(503);
            assertThat(shed.headers().firstValue("retry-after")).isPresent();
            assertThat(Json.parse(shed.body()).at("/error/message").asText()).contains("at capacity");
            assertThat(first.get().statusCode()).isEqualTo(200);
        }
    }

    @Test
    void overDeploymentLimit_waitsUpToQueueTimeoutThenSheds() throws Exception {
        try (var f = new Fixture(slowUpstream(Duration.ofMillis(1500)), "limits: {max-in-flight: 100, max-queued: 100, queue-timeout: 200ms}", """
                  - name: narrow
                    deployments: [{name: narrow-1, provider: openai, base-url: "{UPSTREAM}/v1", max-in-flight: 1}]
                """)) {
            String body = CHAT.replace("chat-openai", "narrow");
            var first = CompletableFuture.supplyAsync(() -> f.post("/v1/chat/completions", body));
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (f.upstream.stats().totalRequests() == 0 && System.nanoTime() < until) Thread.sleep(10);
            long t0 = System.nanoTime();
            HttpResponse<String> shed = f.post("/v1/chat/completions", body);
            long waited = System.nanoTime() - t0;
            assertThat(shed.statusCode()).isEqualTo(503);
            assertThat(Json.parse(shed.body()).at("/error/message").asText()).contains("narrow-1");
            assertThat(Duration.ofNanos(waited)).isGreaterThanOrEqualTo(Duration.ofMillis(150)).isLessThan(Duration.ofMillis(1400));
            assertThat(first.get().statusCode()).isEqualTo(200);
        }
    }

    @Test
    void shutdown_drainsInFlightRequests_thenRefusesNewOnes() throws Exception {
        var f = new Fixture(slowUpstream(Duration.ofMillis(1000)), "", "");
        try {
            var inFlight = new CompletableFuture<HttpResponse<String>>();
            Thread.ofVirtual().start(() -> inFlight.complete(f.post("/v1/chat/completions", CHAT)));
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (f.upstream.stats().totalRequests() == 0 && System.nanoTime() < until) Thread.sleep(10);
            var closing = new CompletableFuture<Void>();
            Thread.ofVirtual().start(() -> {
                f.gateway.close();
                closing.complete(null);
            });
            long drainUntil = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (f.get("/readyz").statusCode() == 200 && System.nanoTime() < drainUntil) Thread.sleep(10);
            HttpResponse<String> refused = f.post("/v1/chat/completions", CHAT);
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(Json.parse(refused.body()).at("/error/message").asText()).contains("shutting down");
            assertThat(inFlight.get().statusCode()).isEqualTo(200);
            closing.get();
        } finally {
            f.upstream.stop();
        }
    }
}
