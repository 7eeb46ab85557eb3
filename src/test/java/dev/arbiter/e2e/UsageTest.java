package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.arbiter.cli.Main;
import dev.arbiter.db.TestPostgres;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.observe.Outcome;
import dev.arbiter.wire.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Usage and spend from the request log in a real PostgreSQL: two callers' requests, summed by caller, model and day,
 * through {@code GET /admin/usage} and {@code arbiter usage}, matching what the gateway charged each request.
 */
class UsageTest {
    private static final String HI = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    @TempDir
    Path tmp;

    @Test
    @Timeout(120)
    void usage_twoCallers_summedByCallerModelAndDay() throws Exception {
        assumeTrue(TestPostgres.reachable(), "PostgreSQL is not running on 127.0.0.1:5432 (.ci/run starts it)");
        try (var f = new Fixture(MockConfig.DEFAULT, TestPostgres.yaml(2) + "observe: {request-log: true}\n", "")) {
            for (int i = 0; i < 3; i++) {
                assertThat(f.post("/v1/chat/completions", "{\"model\":\"chat-openai\"," + HI + "}",
                        Map.of("authorization", "Bearer sk-usage-a")).statusCode()).isEqualTo(200);
            }
            assertThat(f.post("/v1/messages", "{\"model\":\"chat-anthropic\",\"max_tokens\":16," + HI + "}",
                    Map.of("x-api-key", "sk-usage-b", "anthropic-version", "2023-06-01")).statusCode()).isEqualTo(200);
            assertThat(f.post("/v1/chat/completions", "{\"model\":\"no-such-model\"," + HI + "}",
                    Map.of("x-api-key", "sk-usage-b")).statusCode()).isEqualTo(404);
            Outcome a = f.outcomes.get(0);
            Outcome b = f.outcomes.get(3);
            assertThat(a.caller()).isNotEqualTo(b.caller());
            double costA = f.outcomes.subList(0, 3).stream().mapToDouble(Outcome::costUsd).sum();
            assertThat(costA).isPositive();

            // rows are written off the request path, within about a second
            String today = LocalDate.now(ZoneOffset.UTC).toString();
            var byModel = Json.parse("{}");
            for (int i = 0; i < 100; i++) {
                byModel = Json.parse(f.get("/admin/usage?by=model,day&caller=" + b.caller()).body());
                if (byModel.path("total").path("requests").asLong() == 2) break;
                Thread.sleep(100);
            }
            assertThat(byModel.get("total").get("requests").asLong()).isEqualTo(2);
            assertThat(byModel.get("total").get("errors").asLong()).isEqualTo(1);
            assertThat(byModel.get("rows").toString()).contains("\"model\":\"chat-anthropic\",\"day\":\"" + today + "\",\"requests\":1")
                    .contains("\"model\":\"(none)\"");

            var byCaller = Json.parse(f.get("/admin/usage?by=caller&caller=" + a.caller() + "&from=" + today).body());
            for (int i = 0; i < 100 && byCaller.path("total").path("requests").asLong() < 3; i++) {
                Thread.sleep(100);
                byCaller = Json.parse(f.get("/admin/usage?by=caller&caller=" + a.caller() + "&from=" + today).body());
            }
            var row = byCaller.get("rows").get(0);
            assertThat(row.get("caller").asText()).isEqualTo(a.caller());
            assertThat(row.get("requests").asLong()).isEqualTo(3);
            assertThat(row.get("cost_usd").asDouble()).isCloseTo(costA, org.assertj.core.data.Offset.offset(1e-7));
            assertThat(row.get("input_tokens").asLong()).isEqualTo(f.outcomes.subList(0, 3).stream().mapToLong(o -> o.usage().inputTokens()).sum());

            assertThat(f.get("/admin/usage?by=weekday").statusCode()).isEqualTo(400);
            assertThat(f.get("/admin/usage?from=yesterday").statusCode()).isEqualTo(400);

            Path config = tmp.resolve("arbiter.yaml");
            Files.writeString(config, TestPostgres.yaml(2) + "models:\n  - name: m\n    deployments: [{name: d, provider: mock}]\n");
            var out = new StringWriter();
            var cli = new CommandLine(new Main()).setOut(new PrintWriter(out)).setErr(new PrintWriter(out));
            int code = cli.execute("usage", "-c", config.toString(), "--by", "caller,model", "--caller", a.caller(), "--json");
            assertThat(code).as(out.toString()).isZero();
            assertThat(out.toString().strip().lines()).hasSize(1).first().asString()
                    .contains("\"caller\":\"" + a.caller() + "\"").contains("\"model\":\"chat-openai\"").contains("\"requests\":3");
            out.getBuffer().setLength(0);
            assertThat(cli.execute("usage", "-c", config.toString(), "--caller", a.caller())).isZero();
            assertThat(out.toString()).startsWith("day").contains(today).contains("chat-openai");
        }
    }
}
