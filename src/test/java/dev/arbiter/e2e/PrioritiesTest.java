package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Under saturation critical requests keep flowing and low ones are shed; a key cannot claim more than its maximum. */
class PrioritiesTest {
    private static final String CHAT = "{\"model\":\"slow-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    private static final String OPS = "sk-ops-critical-0123456789";
    private static final String BATCH = "sk-batch-low-0123456789ab";

    @Test
    void saturated_criticalFlows_lowIsShed() throws Exception {
        try (var f = new Fixture(MockConfig.DEFAULT, """
                limits: {max-in-flight: 2, max-queued: 4, queue-timeout: 20s}
                auth: {mode: required, admin-key: "%s"}
                keys:
                  - {name: ops, key: "%s", max-priority: critical}
                  - {name: batch, key: "%s", priority: low}
                """.formatted(ApiKeysTest.ADMIN, OPS, BATCH), """
                  - name: slow-chat
                    deployments: [{name: slow, provider: mock, mock: {latency: 300ms}}]
                """)) {
            List<Future<Integer>> low = new ArrayList<>();
            List<Future<Integer>> critical = new ArrayList<>();
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 30; i++) {
                    low.add(pool.submit(() -> f.post("/v1/chat/completions", CHAT, Map.of("authorization", "Bearer " + BATCH,
                            "x-arbiter-priority", "critical")).statusCode()));   // asks for more than it may: stays low
                }
                Thread.sleep(200);
                // two critical clients, four requests each, one after another, while the lows saturate the gateway
                for (int i = 0; i < 2; i++) {
                    critical.add(pool.submit(() -> {
                        int ok = 0;
                        for (int n = 0; n < 4; n++) {
                            if (f.post("/v1/chat/completions", CHAT, Map.of("authorization", "Bearer " + OPS,
                                    "x-arbiter-priority", "critical")).statusCode() == 200) ok++;
                        }
                        return ok;
                    }));
                }
                var c = new ArrayList<Integer>();
                for (var x : critical) c.add(x.get(60, TimeUnit.SECONDS));
                var l = new ArrayList<Integer>();
                for (var x : low) l.add(x.get(60, TimeUnit.SECONDS));
                assertThat(c).containsExactly(4, 4);
                assertThat(l).contains(503).containsOnly(200, 503);
            }
            assertThat(f.get("/metrics").body()).contains("arbiter_admit_queue_depth{class=\"low\"}");
        }
    }
}
