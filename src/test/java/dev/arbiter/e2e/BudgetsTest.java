package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arbiter.db.TestPostgres;
import dev.arbiter.mock.MockConfig;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Budgets over HTTP: every way in is charged, 50 concurrent streams stop at the budget, spend survives a restart. */
class BudgetsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A dollar a thousand tokens: a mock answer costs a few cents. */
    private static final String PRICEY = """
              - name: pricey
                deployments: [{name: pricey, provider: mock, price: {input: 1000, output: 1000}}]
              - name: pricey-embed
                embeddings: true
                deployments: [{name: pricey-embed, provider: mock, price: {input: 1000, output: 0}}]
            """;

    private static Fixture gateway(String keyName, String secret, double dailyUsd, String extra) {
        return new Fixture(MockConfig.DEFAULT, """
                auth: {mode: required, admin-key: "%s"}
                keys:
                  - {name: %s, key: "%s", budget: {daily-usd: %s}}
                budgets: {alert-at: 0.5}
                %s""".formatted(ApiKeysTest.ADMIN, keyName, secret, dailyUsd, extra), PRICEY);
    }

    private static double spent(Fixture f, String keyName) throws Exception {
        var r = ApiKeysTest.admin(f, "GET", "spend", null, ApiKeysTest.ADMIN);
        assertThat(r.statusCode()).isEqualTo(200);
        for (JsonNode s : JSON.readTree(r.body()).path("data")) {
            if (s.path("scope").asText().equals("key:static:" + keyName)) return s.path("daily_spent_usd").asDouble();
        }
        return 0;
    }

    private static HttpResponse<String> stream(Fixture f, String secret) {
        return f.post("/v1/chat/completions", "{\"model\":\"pricey\",\"stream\":true,\"max_tokens\":20,"
                + "\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                Map.of("authorization", "Bearer " + secret));
    }

    @Test
    void fiftyConcurrentStreams_stopAtTheBudget_neverPastIt() throws Exception {
        String secret = "sk-budget-streams-0123456789";
        double budget = 0.3;
        try (Fixture f = gateway("streams", secret, budget, "")) {
            var statuses = new ArrayList<Integer>();
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<HttpResponse<String>>> all = new ArrayList<>();
                for (int i = 0; i < 50; i++) all.add(pool.submit(() -> stream(f, secret)));
                for (var x : all) {
                    var r = x.get(60, TimeUnit.SECONDS);
                    statuses.add(r.statusCode());
                    if (r.statusCode() == 429) assertThat(r.body()).contains("budget_exceeded").contains("daily budget");
                    else assertThat(r.body()).contains("[DONE]");
                }
            }
            assertThat(statuses).contains(200, 429).containsOnly(200, 429);
            double afterBurst = spent(f, "streams");
            assertThat(afterBurst).isPositive().isLessThanOrEqualTo(budget);
            // go on one at a time until the budget refuses: it stops at the threshold, not past it
            int more = 0;
            while (stream(f, secret).statusCode() == 200 && more < 50) more++;
            double spent = spent(f, "streams");
            assertThat(spent).isLessThanOrEqualTo(budget);
            assertThat(spent).isGreaterThan(budget - 0.05);   // within one request's estimate of the budget
            var refused = stream(f, secret);
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow())).isBetween(1L, 86_400L);
            String metrics = f.get("/metrics").body();
            assertThat(metrics).containsPattern("arbiter_budget_rejections_total\\{tier=\"key\"} [1-9]")
                    .containsPattern("arbiter_budget_alerts_total\\{tier=\"key\"} 1")
                    .containsPattern("arbiter_budget_spend_usd\\{period=\"day\",tier=\"key\"} 0\\.[1-3]");
        }
    }

    @Test
    void everyWayIn_isCharged() throws Exception {
        String secret = "sk-budget-ways-0123456789ab";
        try (Fixture f = gateway("ways", secret, 100, "")) {
            var auth = Map.of("authorization", "Bearer " + secret);
            var anthropic = Map.of("x-api-key", secret, "anthropic-version", "2023-06-01");
            String[][] calls = {
                    {"/v1/chat/completions", "{\"model\":\"pricey\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"},
                    {"/v1/completions", "{\"model\":\"pricey\",\"prompt\":\"Hi\"}"},
                    {"/v1/embeddings", "{\"model\":\"pricey-embed\",\"input\":\"Hi there\"}"},
                    {"/v1/responses", "{\"model\":\"pricey\",\"input\":\"Hi\"}"},
                    {"/v1/responses", "{\"model\":\"pricey\",\"input\":\"Hi\",\"stream\":true}"},
                    {"/v1/messages", "{\"model\":\"pricey\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"},
                    {"/v1/messages", "{\"model\":\"pricey\",\"max_tokens\":20,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"},
            };
            double before = spent(f, "ways");
            for (String[] c : calls) {
                var r = f.post(c[0], c[1], c[0].startsWith("/v1/messages") ? anthropic : auth);
                assertThat(r.statusCode()).as(c[0] + " " + r.body()).isEqualTo(200);
                double now = 0;
                for (int i = 0; i < 50 && (now = spent(f, "ways")) <= before; i++) Thread.sleep(20);   // a stream settles as it ends
                assertThat(now).as(c[0] + " " + c[1]).isGreaterThan(before);
                before = now;
            }
        }
    }

    @Test
    void spend_survivesARestart() throws Exception {
        Assumptions.assumeTrue(TestPostgres.reachable(), "PostgreSQL not reachable");
        String name = "restart-" + UUID.randomUUID().toString().substring(0, 8);
        String secret = "sk-" + name + "-0123456789";
        double before;
        try (Fixture f = gateway(name, secret, 0.1, TestPostgres.yaml(2))) {
            for (int i = 0; i < 50 && stream(f, secret).statusCode() == 200; i++) Thread.onSpinWait();
            before = spent(f, name);
            assertThat(before).isPositive();
            Thread.sleep(300);   // the rows are written as requests settle
        }
        try (Fixture f = gateway(name, secret, 0.1, TestPostgres.yaml(2))) {
            assertThat(spent(f, name)).isCloseTo(before, org.assertj.core.data.Offset.offset(1e-9));
            assertThat(stream(f, secret).statusCode()).isEqualTo(429);   // still spent after the restart
        }
    }
}
