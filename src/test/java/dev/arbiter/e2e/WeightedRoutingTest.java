package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import java.util.ArrayList;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A model with deployments weighted 3:1 sends them its traffic 3:1, as the gateway's own selector draws it. */
class WeightedRoutingTest {
    @Test
    @Timeout(120)
    void deploymentsWeightedThreeToOne_getThreeQuartersAndOneQuarter() throws Exception {
        try (var f = new Fixture(MockConfig.DEFAULT, "", """
                  - name: weighted
                    deployments: [{name: heavy, provider: mock, weight: 3}, {name: light, provider: mock, weight: 1},
                                  {name: unused, provider: mock, weight: 0}]
                """)) {
            int n = 400;
            var counts = new ConcurrentHashMap<String, Integer>();
            var calls = new ArrayList<Future<?>>();
            try (var clients = Executors.newFixedThreadPool(8)) {
                for (int i = 0; i < n; i++) {
                    calls.add(clients.submit(() -> {
                        var r = f.post("/v1/chat/completions",
                                "{\"model\":\"weighted\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":1}");
                        assertThat(r.statusCode()).isEqualTo(200);
                        counts.merge(r.headers().firstValue("x-arbiter-deployment").orElseThrow(), 1, Integer::sum);
                    }));
                }
            }
            for (var c : calls) c.get();
            // binomial: mean 300, sigma sqrt(400 * 0.75 * 0.25) = 8.7; five sigma fails once in a few million runs
            assertThat(counts.get("heavy")).as("%s", counts).isBetween(300 - 44, 300 + 44);
            assertThat(counts.get("heavy") + counts.get("light")).as("%s", counts).isEqualTo(n);
        }
    }
}
