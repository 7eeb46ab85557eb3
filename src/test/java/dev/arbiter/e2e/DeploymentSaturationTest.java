package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import dev.arbiter.observe.Outcome;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A deployment at its own in-flight limit is ranked after the free ones: while it is full, requests go to the
 * model's other deployment, even one that is only a standby (weight 0), instead of queueing for it.
 */
@Timeout(60)
class DeploymentSaturationTest {
    private static final String CHAT = AdaptiveConcurrencyTest.CHAT;

    @Test
    void fullDeployment_isRankedAfterTheFreeOne() throws Exception {
        try (var f = new Fixture(MockConfig.DEFAULT, "", """
                  - name: pair
                    deployments:
                      - {name: one, provider: mock, weight: 1, max-in-flight: 1, mock: {latency: 1500ms}}
                      - {name: spare, provider: mock, weight: 0, mock: {latency: 100ms}}
                """)) {
            var first = CompletableFuture.supplyAsync(() -> f.post("/v1/chat/completions", CHAT.formatted("pair")));
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (AdaptiveConcurrencyTest.concurrency(f, "one").path("in_flight").asInt() < 1) {
                assertThat(System.nanoTime()).isLessThan(until);
                Thread.sleep(10);
            }
            List<CompletableFuture<HttpResponse<String>>> rest = new ArrayList<>();
            for (int i = 0; i < 4; i++) rest.add(CompletableFuture.supplyAsync(() -> f.post("/v1/chat/completions", CHAT.formatted("pair"))));
            List<String> servedBy = new ArrayList<>();
            for (var r : rest) {
                var resp = r.get(20, TimeUnit.SECONDS);
                assertThat(resp.statusCode()).isEqualTo(200);
                servedBy.add(outcome(f, resp).trace().attempts().getFirst().deployment());
            }
            assertThat(servedBy).containsOnly("spare");
            var firstResp = first.get(20, TimeUnit.SECONDS);
            assertThat(outcome(f, firstResp).trace().attempts().getFirst().deployment()).isEqualTo("one");
        }
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
}
