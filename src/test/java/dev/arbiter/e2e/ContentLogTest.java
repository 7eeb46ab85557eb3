package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.wire.Json;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * {@code observe.log-content}: prompts and completions reach the {@code arbiter.content} log only when turned on,
 * one JSON line per request (whole and streamed answers, failures), with secrets and configured patterns redacted.
 */
class ContentLogTest {
    private static final String SECRET = "sk-proj-abcdefghijklmnop0123456789";
    private final Logger content = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger("arbiter.content");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    @BeforeEach
    void captureContentLines() {
        lines.setContext(content.getLoggerContext());
        lines.start();
        content.addAppender(lines);
    }

    @AfterEach
    void release() {
        content.detachAppender(lines);
    }

    private static String chat(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
                + "{\"role\":\"user\",\"content\":\"my key is " + SECRET + " and my card 4111-1111-1111-1111, say hi\"}]}";
    }

    private static Optional<JsonNode> line(ListAppender<ILoggingEvent> lines, String requestId) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            for (ILoggingEvent e : List.copyOf(lines.list)) {
                JsonNode n = Json.parse(e.getFormattedMessage());
                if (requestId.equals(n.path("request_id").asText())) return Optional.of(n);
            }
            Thread.sleep(20);
        }
        return Optional.empty();
    }

    @Test
    void on_promptAndCompletionLogged_redacted_wholeStreamedAndFailed() throws Exception {
        try (var f = new Fixture(MockConfig.DEFAULT, """
                observe: {log-content: {enabled: true, redact: ["\\\\d{4}-\\\\d{4}-\\\\d{4}-\\\\d{4}"], max-chars: 200}}
                """, "")) {
            assertThat(f.post("/v1/chat/completions", chat("chat-openai", false), Map.of("x-request-id", "content-1")).statusCode()).isEqualTo(200);
            var streamed = f.post("/v1/chat/completions", chat("chat-openai", true), Map.of("x-request-id", "content-2"));
            assertThat(streamed.statusCode()).isEqualTo(200);
            assertThat(f.post("/v1/chat/completions", chat("no-such-model", false), Map.of("x-request-id", "content-3")).statusCode()).isEqualTo(404);

            JsonNode whole = line(lines, "content-1").orElseThrow();
            assertThat(whole.get("model").asText()).isEqualTo("chat-openai");
            assertThat(whole.get("prompt").asText()).startsWith("system: be brief\nuser: my key is [REDACTED] and my card [REDACTED]");
            assertThat(whole.get("completion").asText()).isNotBlank();
            JsonNode stream = line(lines, "content-2").orElseThrow();
            assertThat(stream.get("completion").asText()).isEqualTo(whole.get("completion").asText());   // the mock answers alike
            JsonNode failed = line(lines, "content-3").orElseThrow();
            assertThat(failed.get("error").asText()).isEqualTo("model_not_found");
            assertThat(failed.has("completion")).isFalse();
            for (ILoggingEvent e : lines.list) {
                assertThat(e.getFormattedMessage()).doesNotContain(SECRET).doesNotContain("4111-1111");
            }
        }
    }

    @Test
    void off_byDefault_nothingLogged() throws Exception {
        try (var f = new Fixture(MockConfig.DEFAULT, "", "")) {
            assertThat(f.post("/v1/chat/completions", chat("chat-openai", false), Map.of("x-request-id", "content-off")).statusCode()).isEqualTo(200);
            assertThat(f.post("/v1/chat/completions", chat("chat-openai", true), Map.of("x-request-id", "content-off-2")).statusCode()).isEqualTo(200);
            Thread.sleep(200);
            assertThat(lines.list).isEmpty();
        }
    }
}
