package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code GET /metrics}: the families the dashboards and alerts name, moved by real requests through every way in. */
class MetricsTest {
    private static Fixture f;

    @BeforeAll
    static void start() {
        f = new Fixture();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static String chat(String model, boolean stream) {
        return "{\"model\":\"" + model + "\"," + (stream ? "\"stream\":true," : "") + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    /** The value of the one sample whose line starts with {@code prefix} (name and labels); fails when absent. */
    private static double sample(String text, String name, String... labels) {
        for (String line : text.split("\n")) {
            if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) continue;
            boolean all = true;
            for (String l : labels) all &= line.contains(l);
            if (all) return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        throw new AssertionError("no sample " + name + " " + String.join(",", labels) + " in:\n" + text);
    }

    private static double requests(String text, String... labels) {
        return sample(text, "arbiter_requests_total", labels);
    }

    @Test
    void metrics_afterRequestsThroughEveryWayIn_haveTheNamedFamiliesAndMove() {
        assertThat(f.post("/v1/chat/completions", chat("chat-openai", false)).statusCode()).isEqualTo(200);
        assertThat(f.post("/v1/chat/completions", chat("chat-openai", true)).statusCode()).isEqualTo(200);
        assertThat(f.post("/v1/messages", "{\"model\":\"chat-anthropic\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                Map.of("anthropic-version", "2023-06-01")).statusCode()).isEqualTo(200);
        assertThat(f.post("/v1/responses", "{\"model\":\"resp-openai\",\"input\":\"hi\"}").statusCode()).isEqualTo(200);
        assertThat(f.post("/v1/embeddings", "{\"model\":\"embed-openai\",\"input\":\"hi\"}").statusCode()).isEqualTo(200);
        assertThat(f.post("/v1/chat/completions", chat("no-such-model-\u00e9vil", false)).statusCode()).isEqualTo(404);

        var r = f.get("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
        String m = r.body();
        assertThat(requests(m, "api=\"chat\"", "model=\"chat-openai\"", "deployment=\"up-openai\"", "provider=\"openai\"",
                "status=\"200\"", "stream=\"false\"", "cache=\"none\"")).isGreaterThanOrEqualTo(1);
        assertThat(requests(m, "api=\"chat\"", "model=\"chat-openai\"", "stream=\"true\"")).isGreaterThanOrEqualTo(1);
        assertThat(requests(m, "api=\"messages\"", "model=\"chat-anthropic\"", "provider=\"anthropic\"")).isGreaterThanOrEqualTo(1);
        assertThat(requests(m, "api=\"responses\"", "model=\"resp-openai\"")).isGreaterThanOrEqualTo(1);
        assertThat(requests(m, "api=\"embeddings\"", "model=\"embed-openai\"")).isGreaterThanOrEqualTo(1);
        // a model nobody configured is never a label value
        assertThat(requests(m, "model=\"unknown\"", "status=\"404\"")).isGreaterThanOrEqualTo(1);
        assertThat(m).doesNotContain("no-such-model");
        assertThat(sample(m, "arbiter_request_duration_seconds_count", "model=\"chat-openai\"", "stream=\"false\"")).isGreaterThanOrEqualTo(1);
        assertThat(m).contains("arbiter_request_duration_seconds_bucket{");
        assertThat(sample(m, "arbiter_time_to_first_token_seconds_count", "model=\"chat-openai\"")).isGreaterThanOrEqualTo(1);
        assertThat(sample(m, "arbiter_upstream_duration_seconds_count", "deployment=\"up-openai\"", "outcome=\"success\""))
                .isGreaterThanOrEqualTo(2);
        assertThat(sample(m, "arbiter_tokens_total", "model=\"chat-openai\"", "direction=\"input\"")).isPositive();
        assertThat(sample(m, "arbiter_tokens_total", "model=\"chat-openai\"", "direction=\"output\"")).isPositive();
        assertThat(sample(m, "arbiter_cost_usd_total", "model=\"chat-openai\"")).isPositive();
        assertThat(sample(m, "arbiter_in_flight")).isGreaterThanOrEqualTo(0);
        assertThat(sample(m, "arbiter_shed_total", "reason=\"overloaded\"")).isGreaterThanOrEqualTo(0);
        assertThat(sample(m, "arbiter_stage_duration_seconds_count", "stage=\"route\"")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void metrics_jvmAllocatedBytes_growsWithRequests() {
        double before = sample(f.get("/metrics").body(), "arbiter_jvm_allocated_bytes_total");
        for (int i = 0; i < 20; i++) assertThat(f.post("/v1/chat/completions", chat("chat-openai", false)).statusCode()).isEqualTo(200);
        double after = sample(f.get("/metrics").body(), "arbiter_jvm_allocated_bytes_total");
        // twenty requests and a scrape allocate far more than 20 KB; a stuck or per-thread counter would not move so
        assertThat(after - before).isGreaterThan(20_000);
    }

    @Test
    void adminLatency_givesPercentilesPerModelAndDeployment() {
        for (int i = 0; i < 5; i++) assertThat(f.post("/v1/chat/completions", chat("chat-openai", false)).statusCode()).isEqualTo(200);
        var r = f.get("/admin/latency");
        assertThat(r.statusCode()).isEqualTo(200);
        var json = dev.arbiter.wire.Json.parse(r.body());
        var series = json.at("/models/chat-openai/series");
        assertThat(series.isArray()).as(r.body()).isTrue();
        assertThat(series.get(0).path("count").asLong()).isPositive();
        assertThat(series.get(0).has("p50") && series.get(0).has("p95") && series.get(0).has("p99")).as(r.body()).isTrue();
        assertThat(json.at("/deployments/up-openai/success/count").asLong()).as(r.body()).isGreaterThanOrEqualTo(5);
    }

    @Test
    void metrics_requestCounter_movesByExactlyTheRequestsMade() {
        assertThat(f.post("/v1/chat/completions", chat("mock-chat", false)).statusCode()).isEqualTo(200);
        String[] labels = {"api=\"chat\"", "model=\"mock-chat\"", "status=\"200\"", "stream=\"false\""};
        double before = requests(f.get("/metrics").body(), labels);
        for (int i = 0; i < 3; i++) assertThat(f.post("/v1/chat/completions", chat("mock-chat", false)).statusCode()).isEqualTo(200);
        assertThat(requests(f.get("/metrics").body(), labels) - before).isEqualTo(3);
    }

    @Test
    void metrics_requestsRefusedBeforeThePipeline_countedWithoutModelOrDeployment() {
        String[] labels = {"api=\"messages\"", "model=\"unknown\"", "deployment=\"none\"", "status=\"400\""};
        assertThat(f.post("/v1/messages", "{not json").statusCode()).isEqualTo(400);
        double before = requests(f.get("/metrics").body(), labels);
        for (int i = 0; i < 2; i++) assertThat(f.post("/v1/messages", "{not json").statusCode()).isEqualTo(400);
        assertThat(requests(f.get("/metrics").body(), labels) - before).isEqualTo(2);
    }
}
