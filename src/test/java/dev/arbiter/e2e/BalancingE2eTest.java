package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockUpstream;
import dev.arbiter.observe.Outcome;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Load balancing and 429 cooldowns over real HTTP: two {@code mock-upstream}s as two deployments of one model, judged
 * by {@code x-arbiter-deployment} and the upstreams' own request counts.
 */
class BalancingE2eTest {
    private static final String CHAT = FaultsTest.CHAT;
    private static final String CONVERSATION = "{\"model\":\"pair\",\"messages\":[{\"role\":\"system\",\"content\":\"%s\"},"
            + "{\"role\":\"user\",\"content\":\"%s\"}]}";

    /** Runs {@code test} against a gateway whose model {@code pair} has deployments {@code one} and {@code two}. */
    private static void pair(MockConfig one, MockConfig two, String modelKeys, Consumer<Fixture> test) {
        var first = MockUpstream.start("127.0.0.1", 0, one);
        var second = MockUpstream.start("127.0.0.1", 0, two);
        String model = """
                  - name: pair
                    %s
                    deployments:
                      - {name: one, provider: openai, base-url: "http://127.0.0.1:%d/v1", timeout: 20s}
                      - {name: two, provider: openai, base-url: "http://127.0.0.1:%d/v1", timeout: 20s}
                """.formatted(modelKeys, first.port(), second.port());
        try (var f = new Fixture(MockConfig.DEFAULT, "", model)) {
            test.accept(f);
        } finally {
            first.stop();
            second.stop();
        }
    }

    private static String served(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.headers().firstValue("x-arbiter-deployment").orElseThrow();
    }

    private static MockConfig slow(Duration latency) {
        return new MockConfig(new MockConfig.Latency("fixed", latency, Duration.ZERO), Duration.ZERO, 0, 16, 64,
                MockConfig.Faults.NONE, 42);
    }

    @Test
    void roundRobin_alternates() {
        pair(MockConfig.DEFAULT, MockConfig.DEFAULT, "load-balancing: round-robin", f -> {
            var seen = new java.util.ArrayList<String>();
            for (int i = 0; i < 6; i++) seen.add(served(f.post("/v1/chat/completions", CHAT.formatted("pair", ""))));
            for (int i = 1; i < seen.size(); i++) assertThat(seen.get(i)).isNotEqualTo(seen.get(i - 1));
        });
    }

    @Test
    void prefixAffinity_oneConversationOneDeployment_sessionsSpread_andAnOpenBreakerMovesItsConversations() {
        pair(MockConfig.DEFAULT, MockConfig.DEFAULT, "load-balancing: prefix-affinity", f -> {
            var byConversation = new HashMap<Integer, String>();
            for (int c = 0; c < 12; c++) {
                String d = served(f.post("/v1/chat/completions", CONVERSATION.formatted("You are terse.", "task " + c)));
                byConversation.put(c, d);
                for (int turn = 0; turn < 3; turn++) {
                    // later turns repeat the system prompt and first user turn, and add their own
                    String body = "{\"model\":\"pair\",\"stream\":%s,\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},"
                            .formatted(turn % 2 == 1) + "{\"role\":\"user\",\"content\":\"task " + c + "\"},"
                            + "{\"role\":\"assistant\",\"content\":\"ok\"},{\"role\":\"user\",\"content\":\"turn " + turn + "\"}]}";
                    assertThat(served(f.post("/v1/chat/completions", body))).isEqualTo(d);
                }
            }
            assertThat(byConversation.values()).contains("one", "two");
            String session = served(f.post("/v1/chat/completions", CHAT.formatted("pair", ""), Map.of("x-arbiter-session", "s-42")));
            for (int i = 0; i < 5; i++) {
                assertThat(served(f.post("/v1/chat/completions", CONVERSATION.formatted("other " + i, "anything " + i),
                        Map.of("x-arbiter-session", "s-42")))).isEqualTo(session);
            }
            // the session's deployment is forced open: its requests go to the other one while it stays open
            String other = session.equals("one") ? "two" : "one";
            assertThat(f.send(java.net.http.HttpRequest.newBuilder(f.uri("/admin/breakers/" + session + "/open"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build()).statusCode()).isEqualTo(200);
            var r = f.post("/v1/chat/completions", CHAT.formatted("pair", ""), Map.of("x-arbiter-session", "s-42"));
            assertThat(served(r)).isEqualTo(other);
            assertThat(r.headers().firstValue("x-arbiter-attempts")).as("the open one is not even tried").hasValue("1");
        });
    }

    @Test
    void latency_sendsMostRequestsToTheFasterDeployment() {
        pair(slow(Duration.ofMillis(150)), MockConfig.DEFAULT, "load-balancing: latency", f -> {
            var counts = new HashMap<String, Integer>();
            for (int i = 0; i < 40; i++) counts.merge(served(f.post("/v1/chat/completions", CHAT.formatted("pair", ""))), 1, Integer::sum);
            // each deployment wins every pair against the slower one; the slow one is first only until measured
            assertThat(counts.getOrDefault("two", 0)).as("%s", counts).isGreaterThanOrEqualTo(36);
        });
    }

    @Test
    void leastBusy_sendsTheNextRequestToTheIdleDeployment() throws Exception {
        pair(slow(Duration.ofMillis(1500)), slow(Duration.ofMillis(1500)), "load-balancing: least-busy", f -> {
            try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                var first = pool.submit(() -> served(f.post("/v1/chat/completions", CHAT.formatted("pair", ""))));
                Thread.sleep(300);   // the first is in flight at one of them
                var second = pool.submit(() -> served(f.post("/v1/chat/completions", CHAT.formatted("pair", ""))));
                assertThat(second.get()).isNotEqualTo(first.get());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void cooldownAfter429_sharedByAnotherModelOnTheSameEndpoint_whichGoesToItsFreeDeploymentAtOnce() {
        var n = MockConfig.Faults.NONE;
        var limited = MockUpstream.start("127.0.0.1", 0, MockConfig.DEFAULT.withFaults(
                new MockConfig.Faults(0, n.errorStatuses(), 1, Duration.ofSeconds(3), 0, 0, 0, 0, 2)));
        String models = """
                  - name: solo
                    retry: {max-attempts: 1}
                    deployments: [{name: limited-solo, provider: openai, base-url: "http://127.0.0.1:%1$d/v1"}]
                  - name: pair
                    deployments:
                      - {name: limited, provider: openai, base-url: "http://127.0.0.1:%1$d/v1"}
                      - {name: free, provider: openai, base-url: "{UPSTREAM}/v1"}
                """.formatted(limited.port());
        try (var f = new Fixture(MockConfig.DEFAULT, "", models)) {
            var r = f.post("/v1/chat/completions", CHAT.formatted("solo", ""));
            assertThat(r.statusCode()).isEqualTo(429);
            assertThat(limited.stats().totalRequests()).isEqualTo(1);
            for (int i = 0; i < 12; i++) {
                long t0 = System.nanoTime();
                var p = f.post("/v1/chat/completions", CHAT.formatted("pair", ""));
                assertThat(served(p)).isEqualTo("free");
                assertThat(p.headers().firstValue("x-arbiter-attempts")).hasValue("1");
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
            }
            assertThat(limited.stats().totalRequests()).as("the cooling endpoint was left alone").isEqualTo(1);
        } finally {
            limited.stop();
        }
    }

    @Test
    void rateLimitResetHeaders_inGoDurationForm_areWaitedOut() throws Exception {
        try (var upstream = new RawUpstream(); var f = new Fixture(MockConfig.DEFAULT, "", upstream.model("limited"))) {
            upstream.serveOnce(out -> {
                byte[] b = "{\"error\":{\"message\":\"slow down\"}}".getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 429 Too Many Requests\r\nx-ratelimit-remaining-requests: 0\r\nx-ratelimit-reset-requests: 0.6s\r\n"
                        + "x-ratelimit-reset-tokens: 6m0s\r\ncontent-type: application/json\r\ncontent-length: " + b.length
                        + "\r\nconnection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                out.write(b);
            });
            upstream.serveOnce(out -> {
                byte[] b = ResilienceTest.COMPLETION.getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + b.length
                        + "\r\nconnection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                out.write(b);
            });
            var r = f.post("/v1/chat/completions", CHAT.formatted("limited", ""));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            List<dev.arbiter.pipeline.Trace.AttemptRecord> attempts = outcome(f, r).trace().attempts();
            assertThat(attempts).hasSize(2);
            assertThat(Duration.ofNanos(attempts.get(1).startNanos() - attempts.get(0).endNanos()))
                    .isGreaterThanOrEqualTo(Duration.ofMillis(600));
        }
    }

    static Outcome outcome(Fixture f, HttpResponse<String> r) {
        String id = r.headers().firstValue("x-request-id").orElseThrow();
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < until) {
            for (Outcome o : f.outcomes) if (o.requestId().equals(id)) return o;
            Thread.onSpinWait();
        }
        throw new AssertionError("no outcome for " + id);
    }
}
