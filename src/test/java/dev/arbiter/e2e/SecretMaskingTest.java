package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.arbiter.wire.Json;
import dev.arbiter.mock.MockConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * An upstream that rejects Arbiter's key and quotes it back ({@code Incorrect API key provided: <key>}), as OpenAI,
 * Groq and others do, for keys of every shape: neither the caller's error nor any log line shows a configured key or
 * secret header value, whatever its shape, while the rest of the upstream's message still comes through.
 */
class SecretMaskingTest {
    static final String AZURE_HEX_KEY = "0123456789abcdef0123456789abcdef";
    static final String GROQ_KEY = "gsk_Zx8QmV2pLr5tNw9yKb3cQ7";
    static final String SHORT_KEY = "hunter2";
    static final String HEADER_SECRET = "plain-header-secret-42";
    static final String ANTHROPIC_KEY = "anthropic-without-prefix-0042";
    static final List<String> SECRETS = List.of(AZURE_HEX_KEY, GROQ_KEY, SHORT_KEY, HEADER_SECRET, ANTHROPIC_KEY);

    private HttpServer upstream;
    private volatile int status = 400;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    @BeforeEach
    void start() throws IOException {
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.createContext("/", this::rejectQuotingTheKey);
        upstream.start();
        logs.start();
        root.addAppender(logs);
    }

    @AfterEach
    void stop() {
        root.detachAppender(logs);
        upstream.stop(0);
    }

    /** Answers with an error quoting every credential it received; a stream request gets it as an error event. */
    private void rejectQuotingTheKey(HttpExchange ex) throws IOException {
        var keys = new ArrayList<String>();
        for (String h : List.of("authorization", "api-key", "x-api-key", "x-team-secret")) {
            String v = ex.getRequestHeaders().getFirst(h);
            if (v != null) keys.add(v.replaceFirst("^Bearer ", ""));
        }
        String message = "Incorrect API key provided: " + String.join(" and ", keys) + ". You can find your API key elsewhere.";
        String request = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        byte[] body;
        if (request.contains("\"stream\":true")) {
            body = ("event: error\ndata: " + Json.MAPPER.createObjectNode().put("type", "error").set("error",
                    Json.MAPPER.createObjectNode().put("type", "authentication_error").put("message", message)) + "\n\n")
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("content-type", "text/event-stream");
            ex.sendResponseHeaders(200, body.length);
        } else {
            body = Json.MAPPER.createObjectNode().set("error", Json.MAPPER.createObjectNode()
                    .put("message", message).put("type", "invalid_request_error")).toString().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("content-type", "application/json");
            ex.sendResponseHeaders(status, body.length);
        }
        ex.getResponseBody().write(body);
        ex.close();
    }

    private Fixture gateway() {
        String base = "http://127.0.0.1:" + upstream.getAddress().getPort();
        return new Fixture(MockConfig.DEFAULT, "", """
                  - name: azure-model
                    deployments: [{name: azure-up, provider: azure, model: gpt, api-version: "2024-10-21", base-url: "%1$s", api-key: "%2$s"}]
                  - name: groq-model
                    deployments: [{name: groq-up, provider: openai, base-url: "%1$s/v1", api-key: "%3$s"}]
                  - name: short-model
                    deployments: [{name: short-up, provider: openai, base-url: "%1$s/v1", api-key: "%4$s",
                                   headers: {x-team-secret: "%5$s"}}]
                  - name: claude-model
                    deployments: [{name: claude-up, provider: anthropic, base-url: "%1$s", api-key: "%6$s"}]
                """.formatted(base, AZURE_HEX_KEY, GROQ_KEY, SHORT_KEY, HEADER_SECRET, ANTHROPIC_KEY));
    }

    private void assertNoSecret(HttpResponse<String> r) {
        for (String s : SECRETS) {
            assertThat(r.body()).as("client body").doesNotContain(s);
            r.headers().map().values().forEach(v -> assertThat(v.toString()).doesNotContain(s));
        }
        List<String> lines = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(lines).as("log lines").anyMatch(l -> l.contains("Incorrect API key provided"));
        for (String line : lines) for (String s : SECRETS) assertThat(line).as("log line").doesNotContain(s);
    }

    @Test
    void upstream400QuotingTheKey_clientGetsTheMessageWithTheKeyMasked_logToo() {
        try (var f = gateway()) {
            for (String model : List.of("azure-model", "groq-model", "short-model")) {
                var r = f.post("/v1/chat/completions", "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
                assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
                assertThat(Json.parse(r.body()).at("/error/message").asText())
                        .contains("Incorrect API key provided: ****").contains("You can find your API key elsewhere");
                assertNoSecret(r);
            }
            var m = f.post("/v1/messages", "{\"model\":\"claude-model\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertThat(m.statusCode()).as(m.body()).isEqualTo(400);
            assertThat(Json.parse(m.body()).at("/error/message").asText()).contains("Incorrect API key provided: ****");
            assertNoSecret(m);
        }
    }

    @Test
    void upstream401QuotingTheKey_neitherTheClientNorTheLogSeesIt() {
        status = 401;
        try (var f = gateway()) {
            for (String model : List.of("azure-model", "groq-model", "short-model")) {
                var r = f.post("/v1/chat/completions", "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
                assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
                assertNoSecret(r);
            }
        }
    }

    @Test
    void streamErrorEventQuotingTheKey_neitherTheClientNorTheLogSeesIt() {
        try (var f = gateway()) {
            var m = f.post("/v1/messages", "{\"model\":\"claude-model\",\"max_tokens\":5,\"stream\":true,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", Map.of());
            assertThat(m.body()).contains("error");
            assertNoSecret(m);
        }
    }
}
