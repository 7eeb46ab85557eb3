package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import dev.arbiter.wire.Json;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Per-class queue timeouts ({@code limits.queue-timeouts}) over real HTTP, at a deployment's own in-flight limit:
 * while the deployment is busy, a low-priority request gives up after its short wait with 503 and Retry-After in
 * the API's error format, and a normal one waits its longer turn and is served.
 */
@Timeout(60)
class QueueTimeoutsTest {
    private static final String CHAT = AdaptiveConcurrencyTest.CHAT;

    @Test
    void deploymentBusy_lowTimesOutFirst_normalWaitsAndIsServed() throws Exception {
        try (var f = new Fixture(MockConfig.DEFAULT, "limits: {queue-timeout: 10s, queue-timeouts: {low: 200ms}}\n", """
                  - name: narrow
                    deployments: [{name: one, provider: mock, max-in-flight: 2, mock: {latency: 1500ms}}]
                """)) {
            // two in flight fill the deployment; its queue (as long as max-in-flight) takes a normal one, then the low one
            var busy = CompletableFuture.supplyAsync(() -> f.post("/v1/chat/completions", CHAT.formatted("narrow")));
            var busy2 = CompletableFuture.supplyAsync(() -> f.post("/v1/chat/completions", CHAT.formatted("narrow")));
            waitUntil(f, "in_flight", 2);
            var normal = CompletableFuture.supplyAsync(() -> f.post("/v1/chat/completions", CHAT.formatted("narrow")));
            waitUntil(f, "waiting", 1);
            long t0 = System.nanoTime();
            HttpResponse<String> low = f.post("/v1/chat/completions", CHAT.formatted("narrow"), Map.of("x-arbiter-priority", "low"));
            Duration waited = Duration.ofNanos(System.nanoTime() - t0);

            assertThat(low.statusCode()).isEqualTo(503);
            assertThat(waited).isLessThan(Duration.ofMillis(1200));   // gave up long before the busy call ended
            assertThat(low.headers().firstValue("retry-after")).hasValue("1");
            var error = Json.parse(low.body()).path("error");
            assertThat(error.path("message").asText()).contains("timed out waiting for a slot");
            assertThat(error.path("type").asText()).isNotBlank();
            assertThat(busy.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(busy2.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(normal.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(f.get("/metrics").body())
                    .contains("arbiter_concurrency_queue_depth{class=\"low\",deployment=\"one\",model=\"narrow\"}")
                    .contains("arbiter_admit_queue_depth{class=\"critical\"}");
        }
    }

    private static void waitUntil(Fixture f, String what, int n) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < until) {
            var c = AdaptiveConcurrencyTest.concurrency(f, "one");
            int v = what.equals("waiting") ? c.path("waiting").path("normal").asInt() : c.path(what).asInt();
            if (v == n) return;
            Thread.sleep(10);
        }
        throw new AssertionError("never " + n + " " + what);
    }
}
