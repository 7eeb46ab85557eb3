package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.arbiter.mock.MockConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An upstream's 429 retry hint reaches the client whichever way the upstream gave it: {@code retry-after-ms} alone
 * (Azure OpenAI and OpenAI send it), {@code Retry-After} as seconds or as an HTTP date, or both (the exact one wins).
 * The client gets {@code retry-after} in whole seconds, rounded up, and {@code retry-after-ms}.
 */
class UpstreamRetryAfterTest {
    private HttpServer upstream;

    @BeforeEach
    void start() throws IOException {
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        context("/ms", Map.of("retry-after-ms", "1500"));
        context("/date", Map.of("retry-after", DateTimeFormatter.RFC_1123_DATE_TIME.format(
                ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(30))));
        context("/both", Map.of("retry-after", "10", "retry-after-ms", "250"));
        upstream.start();
    }

    private void context(String path, Map<String, String> headers) {
        upstream.createContext(path, ex -> {
            ex.getRequestBody().readAllBytes();
            byte[] body = "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"rate_limit_error\"}}".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("content-type", "application/json");
            headers.forEach(ex.getResponseHeaders()::set);
            ex.sendResponseHeaders(429, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
    }

    @AfterEach
    void stop() {
        upstream.stop(0);
    }

    private Fixture gateway() {
        String base = "http://127.0.0.1:" + upstream.getAddress().getPort();
        return new Fixture(MockConfig.DEFAULT, "", """
                  - name: ms
                    deployments: [{name: ms-up, provider: openai, base-url: "%1$s/ms/v1"}]
                  - name: date
                    deployments: [{name: date-up, provider: openai, base-url: "%1$s/date/v1"}]
                  - name: both
                    deployments: [{name: both-up, provider: anthropic, base-url: "%1$s/both"}]
                """.formatted(base));
    }

    private static String chat(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":" + stream + "}";
    }

    @Test
    void upstream429WithRetryAfterMsOnly_clientGetsBothHints() {
        try (var f = gateway()) {
            for (boolean stream : new boolean[] {false, true}) {
                var r = f.post("/v1/chat/completions", chat("ms", stream));
                assertThat(r.statusCode()).isEqualTo(429);
                assertThat(r.headers().firstValue("retry-after")).as("stream=%s", stream).hasValue("2");
                assertThat(r.headers().firstValue("retry-after-ms")).hasValue("1500");
            }
        }
    }

    @Test
    void upstream429WithRetryAfterAsAnHttpDate_clientGetsSeconds() {
        try (var f = gateway()) {
            var r = f.post("/v1/chat/completions", chat("date", false));
            assertThat(r.statusCode()).isEqualTo(429);
            assertThat(Long.parseLong(r.headers().firstValue("retry-after").orElseThrow())).isBetween(25L, 31L);
        }
    }

    @Test
    void upstream429WithBoth_theExactOneWins_inTheAnthropicFormatToo() {
        try (var f = gateway()) {
            var r = f.post("/v1/messages", "{\"model\":\"both\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertThat(r.statusCode()).isEqualTo(429);
            assertThat(r.headers().firstValue("retry-after")).hasValue("1");
            assertThat(r.headers().firstValue("retry-after-ms")).hasValue("250");
        }
    }
}
