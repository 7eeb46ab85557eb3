package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import dev.arbiter.observe.Outcome;
import dev.arbiter.wire.Json;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A deployment's own rate limit ({@code limits: {rpm}} on the deployment) over real HTTP: at its quota it is passed
 * over for the model's other deployment or for the fallback model, and only when none is left does the caller get
 * 429 with Retry-After and the x-ratelimit headers.
 */
@Timeout(60)
class DeploymentQuotaTest {
    private static final String CHAT = AdaptiveConcurrencyTest.CHAT;

    private static final String MODELS = """
              - name: quota
                retry: {max-attempts: 1}
                deployments:
                  - {name: small, provider: openai, base-url: "{UPSTREAM}/v1", weight: 1, limits: {rpm: 3, store: memory}}
                  - {name: big, provider: openai, base-url: "{UPSTREAM}/v1", weight: 0}
              - name: alone
                deployments: [{name: only, provider: openai, base-url: "{UPSTREAM}/v1", limits: {rpm: 2, tpm: 100000}}]
              - name: backed
                fallbacks: [chat-openai]
                deployments: [{name: primary, provider: openai, base-url: "{UPSTREAM}/v1", limits: {rpm: 1}}]
              - name: capped
                limits: {rpm: 1, store: memory}
                deployments: [{name: c1, provider: openai, base-url: "{UPSTREAM}/v1"}, {name: c2, provider: openai, base-url: "{UPSTREAM}/v1"}]
            """;

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
    void deploymentAtItsRpm_trafficGoesToTheOtherDeployment_withoutCountingAnAttempt() {
        try (var f = new Fixture(MockConfig.DEFAULT, "", MODELS)) {
            List<String> servedBy = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                var r = f.post("/v1/chat/completions", CHAT.formatted("quota"));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(r.headers().firstValue("x-arbiter-attempts")).hasValue("1");
                servedBy.add(outcome(f, r).trace().attempts().getLast().deployment());
            }
            assertThat(servedBy).containsExactly("small", "small", "small", "big", "big", "big");
            assertThat(f.upstream.stats().totalRequests()).isEqualTo(6);
        }
    }

    @Test
    void lastDeploymentAtItsQuota_fallbackServes_elseThe429WithRetryAfterAndHeaders() {
        try (var f = new Fixture(MockConfig.DEFAULT, "", MODELS)) {
            assertThat(f.post("/v1/chat/completions", CHAT.formatted("backed")).statusCode()).isEqualTo(200);
            var fallback = f.post("/v1/chat/completions", CHAT.formatted("backed"));
            assertThat(fallback.statusCode()).isEqualTo(200);
            assertThat(fallback.headers().firstValue("x-arbiter-fallback")).hasValue("chat-openai");

            for (int i = 0; i < 2; i++) assertThat(f.post("/v1/chat/completions", CHAT.formatted("alone")).statusCode()).isEqualTo(200);
            long calls = f.upstream.stats().totalRequests();
            var refused = f.post("/v1/chat/completions", CHAT.formatted("alone"));
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(Json.parse(refused.body()).path("error").path("code").asText()).isEqualTo("rate_limit_exceeded");
            assertThat(refused.body()).doesNotContain("upstream").doesNotContain("Exception");
            assertThat(Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow())).isBetween(1L, 60L);
            assertThat(refused.headers().firstValue("x-ratelimit-limit-requests")).hasValue("2");
            assertThat(refused.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");
            assertThat(refused.headers().firstValue("x-ratelimit-reset-requests")).isPresent();
            assertThat(f.upstream.stats().totalRequests()).isEqualTo(calls);   // the upstream was never asked
        }
    }

    @Test
    void deploymentQuotaInRedis_holdsAcrossTwoGateways() throws Exception {
        try (var s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", 6379), 500);
        } catch (java.io.IOException e) {
            org.junit.jupiter.api.Assumptions.abort("Redis not reachable on 127.0.0.1:6379");
        }
        String server = """
                redis: {url: "redis://127.0.0.1:6379", timeout: 2s, connect-timeout: 3s}
                rate-limits: {key-prefix: "arbiter-quota-test:%s:"}
                """.formatted(java.util.UUID.randomUUID());
        String models = """
                  - name: shared
                    retry: {max-attempts: 1}
                    deployments:
                      - {name: quota, provider: openai, base-url: "{UPSTREAM}/v1", weight: 1, limits: {rpm: 5}}
                      - {name: spare, provider: openai, base-url: "{UPSTREAM}/v1", weight: 0}
                """;
        try (var a = new Fixture(MockConfig.DEFAULT, server, models); var b = new Fixture(MockConfig.DEFAULT, server, models)) {
            int onQuota = 0;
            for (int i = 0; i < 8; i++) {
                for (Fixture g : List.of(a, b)) {
                    var r = g.post("/v1/chat/completions", CHAT.formatted("shared"));
                    assertThat(r.statusCode()).isEqualTo(200);
                    if (outcome(g, r).trace().attempts().getLast().deployment().equals("quota")) onQuota++;
                }
            }
            assertThat(onQuota).isEqualTo(5);   // 5 a minute for both gateways together, not 5 each
        }
    }

    @Test
    void modelsOwnLimits_holdAcrossItsDeployments() {
        try (var f = new Fixture(MockConfig.DEFAULT, "", MODELS)) {
            assertThat(f.post("/v1/chat/completions", CHAT.formatted("capped")).statusCode()).isEqualTo(200);
            var refused = f.post("/v1/chat/completions", CHAT.formatted("capped"));
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.headers().firstValue("x-ratelimit-limit-requests")).hasValue("1");
            assertThat(refused.headers().firstValue("retry-after")).isPresent();
        }
    }
}
