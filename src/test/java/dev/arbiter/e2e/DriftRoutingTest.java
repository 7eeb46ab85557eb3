package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.wire.Json;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A model with two equal deployments over real HTTP, one of which slows from about 1 ms to 300 ms mid-run and later
 * comes back: the analyzer finds the drift, routing sends the slow one only its degraded share (weight x 0.1: 1 in
 * 11), and once it is fast again it is judged recovered and gets half the traffic again.
 */
class DriftRoutingTest {
    private static final String ANSWER = """
            {"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant",\
            "content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}""";

    @Test
    @Timeout(180)
    void deploymentSlowsDown_detectedAndDownWeighted_trafficReturnsOnceRecovered() throws Exception {
        var delayMillis = new AtomicLong();
        HttpServer up = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 100);
        up.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        up.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            try {
                if (ex.getRequestURI().getPath().startsWith("/shifty")) Thread.sleep(delayMillis.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = ANSWER.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("content-type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        up.start();
        String base = "http://127.0.0.1:" + up.getAddress().getPort();
        String models = """
                  - name: drifting
                    deployments: [{name: steady, provider: openai, base-url: "%s/steady/v1", api-key: k, timeout: 20s},
                                  {name: shifty, provider: openai, base-url: "%s/shifty/v1", api-key: k, timeout: 20s}]
                analyzer:
                  warmup: 20
                  recover-after: 2s
                """.formatted(base, base);
        try (var f = new Fixture(MockConfig.DEFAULT, "", models)) {
            var shares = new Traffic(f);
            var before = shares.run(200, () -> false);
            assertThat(before.get("shifty")).as("before: %s", before).isBetween(60, 140);

            delayMillis.set(300);
            var degrading = shares.run(2000, () -> f.gateway.analyzer().orElseThrow().degraded("drifting", "shifty"));
            assertThat(f.gateway.analyzer().orElseThrow().degraded("drifting", "shifty")).as("detected; traffic meanwhile: %s", degrading).isTrue();
            var detections = Json.parse(f.get("/admin/detections?deployment=shifty").body()).get("detections");
            assertThat(detections.toString()).contains("\"kind\":\"drift\"").contains("\"metric\":\"latency\"");
            assertThat(f.get("/metrics").body()).containsPattern("arbiter_detections_total\\{deployment=\"shifty\",detector=\"[a-z-]+\"} [1-9]")
                    .contains("arbiter_deployment_degraded{deployment=\"shifty\",model=\"drifting\"} 1.0");
            var degraded = shares.run(400, () -> false);
            // share 1/11 of 400: mean 36, sigma 5.7
            assertThat(degraded.get("shifty")).as("while degraded: %s", degraded).isBetween(5, 75);

            delayMillis.set(0);
            var recovering = shares.run(20_000, () -> !f.gateway.analyzer().orElseThrow().degraded("drifting", "shifty"));
            assertThat(f.gateway.analyzer().orElseThrow().degraded("drifting", "shifty")).as("recovered; traffic meanwhile: %s", recovering).isFalse();
            var after = shares.run(200, () -> false);
            assertThat(after.get("shifty")).as("after: %s", after).isBetween(60, 140);
            assertThat(Json.parse(f.get("/admin/detections").body()).get("detections").get(0).get("kind").asText()).isEqualTo("recovered");
        } finally {
            up.stop(0);
        }
    }

    /** Sends requests from 8 clients, counting which deployment answered each. */
    private record Traffic(Fixture f) {
        /** Up to {@code n} requests, fewer once {@code done} holds (it is asked between requests). */
        Map<String, Integer> run(int n, BooleanSupplier done) throws Exception {
            var counts = new ConcurrentHashMap<String, Integer>(Map.of("steady", 0, "shifty", 0));
            var left = new AtomicInteger(n);
            try (var clients = Executors.newFixedThreadPool(8)) {
                for (int c = 0; c < 8; c++) {
                    clients.submit(() -> {
                        while (left.getAndDecrement() > 0 && !done.getAsBoolean()) {
                            var r = f.post("/v1/chat/completions",
                                    "{\"model\":\"drifting\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":1}");
                            assertThat(r.statusCode()).isEqualTo(200);
                            counts.merge(r.headers().firstValue("x-arbiter-deployment").orElseThrow(), 1, Integer::sum);
                        }
                        return null;
                    });
                }
            }
            return counts;
        }
    }
}
