package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.db.TestPostgres;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.wire.Json;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard and alert rules under {@code deploy/}, checked by a real Prometheus: {@code promtool check rules} and
 * {@code promtool test rules} on the alerts, then a Prometheus scraping a running Arbiter every second while requests
 * go through every way in (streamed and not, failing and not), after which every query of the Grafana dashboard must
 * return data. A query may come back empty only when a metric family it reads is not exported by this build yet (one
 * another feature registers, named in observe/Metrics); those are listed with that reason. Skipped when the
 * {@code prometheus} and {@code promtool} binaries are missing (Debian's {@code prometheus} package; .ci/run installs it).
 */
class DashboardAndAlertsTest {
    private static final Path DEPLOY = Path.of("deploy");
    private static final Pattern METRIC = Pattern.compile("\\barbiter_[a-z_]+\\b");

    @TempDir
    Path tmp;

    private static boolean onPath(String binary) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, binary))) return true;
        }
        return false;
    }

    private static String run(Path dir, String... command) throws Exception {
        var p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", List.of(command)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("%s:%n%s", List.of(command), out).isZero();
        return out;
    }

    @Test
    void alertRules_passPromtoolCheckAndTheirUnitTests() throws Exception {
        assumeTrue(onPath("promtool"), "promtool is not installed (apt-get install prometheus; .ci/run does)");
        Path rules = DEPLOY.resolve("prometheus");
        assertThat(run(rules, "promtool", "check", "rules", "alerts.yml")).contains("SUCCESS");
        assertThat(run(rules, "promtool", "test", "rules", "alerts.test.yml")).contains("SUCCESS");
        assertThat(run(rules, "promtool", "check", "config", "prometheus.example.yml")).contains("SUCCESS");
    }

    @Test
    @Timeout(240)
    void everyDashboardQuery_returnsDataFromARealPrometheusAfterTraffic() throws Exception {
        assumeTrue(onPath("prometheus") && onPath("promtool"), "prometheus is not installed (apt-get install prometheus; .ci/run does)");
        JsonNode dashboard = Json.parse(Files.readString(DEPLOY.resolve("grafana/arbiter.json")));
        String db = TestPostgres.reachable() ? """
                postgres: {url: "%s", user: postgres, max-pool-size: 2}
                observe: {request-log: true}
                """.formatted(TestPostgres.URL) : "";
        try (var f = new Fixture(MockConfig.DEFAULT, db, """
                  - name: broken
                    deployments: [{name: refused, provider: openai, base-url: "http://127.0.0.1:1/v1", api-key: k, timeout: 5s}]
                """)) {
            int port = freePort();
            Path config = tmp.resolve("prometheus.yml");
            Files.writeString(config, """
                    global: {scrape_interval: 1s, evaluation_interval: 1s}
                    rule_files: ["%s"]
                    scrape_configs:
                      - job_name: arbiter
                        static_configs: [{targets: ["127.0.0.1:%d"]}]
                    """.formatted(DEPLOY.resolve("prometheus/alerts.yml").toAbsolutePath(), f.gateway.port()));
            Process prometheus = new ProcessBuilder("prometheus", "--config.file=" + config, "--storage.tsdb.path=" + tmp.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port).redirectErrorStream(true).redirectOutput(tmp.resolve("prometheus.log").toFile()).start();
            try {
                String api = "http://127.0.0.1:" + port;
                awaitReady(f, api);
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                while (System.nanoTime() < until) traffic(f);
                // the last scrape after the traffic: the requests counter as the gateway shows it, seen by Prometheus
                await(() -> query(f, api, "sum(arbiter_requests_total)").path(0).path("value").path(1).asDouble()
                        >= requestsNow(f), "Prometheus scraped the traffic");

                Set<String> exported = exported(f.get("/metrics").body());
                var notExported = new LinkedHashMap<String, String>();
                var empty = new ArrayList<String>();
                int queries = 0;
                for (JsonNode panel : dashboard.get("panels")) {
                    for (JsonNode target : panel.get("targets")) {
                        queries++;
                        String expr = target.get("expr").asText().replace("$__rate_interval", "30s").replace("$__range", "5m")
                                .replace("$model", ".*");
                        JsonNode result = query(f, api, expr);
                        if (!result.isEmpty()) continue;
                        var missing = new TreeSet<String>();
                        Matcher m = METRIC.matcher(expr);
                        while (m.find()) if (!exported.contains(m.group())) missing.add(m.group());
                        String where = panel.get("title").asText() + ": " + expr;
                        if (missing.isEmpty()) empty.add(where);
                        else notExported.put(where, "not exported by this build yet: " + missing);
                    }
                }
                notExported.forEach((q, why) -> System.out.println("skipped dashboard query (" + why + "): " + q));
                assertThat(empty).as("dashboard queries that returned nothing though their metrics are exported").isEmpty();
                assertThat(queries - notExported.size()).as("queries checked").isGreaterThanOrEqualTo(20);

                JsonNode groups = Json.parse(get(f, api + "/api/v1/rules").body()).path("data").path("groups");
                assertThat(groups.get(0).get("rules")).hasSize(10).allSatisfy(r -> assertThat(r.get("health").asText()).isEqualTo("ok"));
            } finally {
                prometheus.destroy();
                if (!prometheus.waitFor(10, TimeUnit.SECONDS)) prometheus.destroyForcibly();
            }
        }
    }

    /** Requests through every way in, streamed and not, and some that fail (404 unknown model, 5xx refused upstream). */
    private static void traffic(Fixture f) {
        String hi = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
        assertThat(f.post("/v1/chat/completions", "{\"model\":\"chat-openai\"," + hi + "}").statusCode()).isEqualTo(200);
        assertThat(f.post("/v1/chat/completions", "{\"model\":\"chat-openai\",\"stream\":true," + hi + "}").statusCode()).isEqualTo(200);
        assertThat(f.post("/v1/completions", "{\"model\":\"chat-openai\",\"prompt\":\"hi\",\"max_tokens\":4}").statusCode()).isEqualTo(200);
        assertThat(f.post("/v1/messages", "{\"model\":\"chat-anthropic\",\"max_tokens\":16,\"stream\":true," + hi + "}",
                Map.of("anthropic-version", "2023-06-01")).statusCode()).isEqualTo(200);
        assertThat(f.post("/v1/responses", "{\"model\":\"resp-openai\",\"input\":\"hi\"}").statusCode()).isEqualTo(200);
        assertThat(f.post("/v1/embeddings", "{\"model\":\"embed-openai\",\"input\":\"hi\"}").statusCode()).isEqualTo(200);
        assertThat(f.post("/v1/chat/completions", "{\"model\":\"no-such-model\"," + hi + "}").statusCode()).isEqualTo(404);
        assertThat(f.post("/v1/chat/completions", "{\"model\":\"broken\"," + hi + "}").statusCode()).isGreaterThanOrEqualTo(500);
    }

    private static double requestsNow(Fixture f) {
        double total = 0;
        for (String line : f.get("/metrics").body().split("\n")) {
            if (line.startsWith("arbiter_requests_total{")) total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return total;
    }

    /** The names of every sample the gateway exports now. */
    private static Set<String> exported(String text) {
        var names = new TreeSet<String>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            int end = line.indexOf('{');
            names.add(line.substring(0, end > 0 ? end : line.indexOf(' ')));
        }
        return names;
    }

    private static JsonNode query(Fixture f, String api, String expr) {
        var r = get(f, api + "/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
        JsonNode body = Json.parse(r.body());
        assertThat(body.path("status").asText()).as("%s: %s", expr, r.body()).isEqualTo("success");
        return body.path("data").path("result");
    }

    private static HttpResponse<String> get(Fixture f, String url) {
        return f.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build());
    }

    private static void awaitReady(Fixture f, String api) throws InterruptedException {
        await(() -> {
            try {
                return f.client.send(HttpRequest.newBuilder(URI.create(api + "/-/ready")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }, "Prometheus ready");
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 60 s for: %s", what).isLessThan(until);
            Thread.sleep(250);
        }
    }

    private static int freePort() throws IOException {
        try (var s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
