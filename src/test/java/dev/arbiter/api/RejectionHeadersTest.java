package dev.arbiter.api;

import dev.arbiter.pipeline.Watchdog;
import dev.arbiter.reasoning.ReasoningEnvelope;
import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigLoader;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockProvider;
import dev.arbiter.pipeline.Pipeline;
import dev.arbiter.pipeline.Stage;
import dev.arbiter.route.ModelRegistry;
import dev.arbiter.store.StoreConfig;
import io.helidon.webserver.WebServer;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A stage's rejection carries its own response headers to the client, next to the error body and Retry-After. */
class RejectionHeadersTest {
    @Test
    void rejection_withHeaders_reachesTheClient() throws Exception {
        ArbiterConfig cfg = new ConfigLoader(k -> null).parse(new ByteArrayInputStream("""
                server: {host: 127.0.0.1, port: 0}
                models: [{name: m, deployments: [{name: d, provider: mock}]}]
                """.getBytes(StandardCharsets.UTF_8)), "t.yaml");
        Stage limiter = (exchange, next) -> {
            throw new ArbiterException.Overloaded("Rate limit reached for requests", Duration.ofMillis(1500), true)
                    .withHeader("x-ratelimit-limit-requests", "60")
                    .withHeader("X-RateLimit-Remaining-Requests", "0")
                    .withHeader("x-ratelimit-reset-requests", "1.5s\r\nx-injected: 1");
        };
        try (var registry = new ModelRegistry(cfg, d -> new MockProvider(d.section(MockConfig.SECTION)),
                d -> dev.arbiter.llm.WireFormat.OPENAI_CHAT);
             var watchdog = new Watchdog("test-watchdog", System::nanoTime)) {
            var api = new HttpApi(cfg.server(), new Pipeline(List.of(limiter)), registry, System::nanoTime,
                    new ReasoningEnvelope(ReasoningEnvelope.randomKey()), watchdog, () -> "", new dev.arbiter.admin.AdminRoutes(List.of()), dev.arbiter.admin.AdminAccess.OPEN);
            WebServer server = WebServer.builder().host("127.0.0.1").port(0).routing(api::routing).build().start();
            try {
                var res = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                                + "/v1/chat/completions")).header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(res.statusCode()).isEqualTo(429);
                assertThat(res.headers().firstValue("retry-after")).hasValue("2");
                assertThat(res.headers().firstValue("x-ratelimit-limit-requests")).hasValue("60");
                assertThat(res.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");
                assertThat(res.headers().firstValue("x-ratelimit-reset-requests")).hasValue("1.5s%0D%0Ax-injected:%201");
                assertThat(res.headers().firstValue("x-injected")).isEmpty();
                assertThat(res.body()).contains("rate_limit_exceeded");
            } finally {
                server.stop();
            }
        }
    }
}
