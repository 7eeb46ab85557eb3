package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.observe.JsonLines;
import dev.arbiter.wire.Json;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * {@code observe.json-logs: true}: the access line of a real request, written by {@link JsonLines}, is one JSON object
 * with the request id and the line's fields typed; a caller's hostile model name stays inside its string.
 */
class JsonLogsTest {
    @Test
    void accessLine_isOneJsonObjectWithTheRequestId() throws Exception {
        var context = (LoggerContext) LoggerFactory.getILoggerFactory();
        var bytes = new ByteArrayOutputStream();
        var encoder = new JsonLines();
        encoder.setContext(context);
        encoder.start();
        var appender = new OutputStreamAppender<ILoggingEvent>();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setOutputStream(bytes);
        appender.start();
        Logger access = context.getLogger("arbiter.access");
        access.addAppender(appender);
        try (var f = new Fixture(MockConfig.DEFAULT, "observe: {json-logs: true}\n", "")) {
            var r = f.post("/v1/chat/completions", "{\"model\":\"chat-openai\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                    Map.of("x-request-id", "json-log-1"));
            assertThat(r.statusCode()).isEqualTo(200);
            f.post("/v1/chat/completions", "{\"model\":\"evil\\n\\\"}{\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                    Map.of("x-request-id", "json-log-2"));
            JsonNode line = null;
            JsonNode evil = null;
            for (int i = 0; i < 100 && (line == null || evil == null); i++) {
                Thread.sleep(50);
                for (String l : bytes.toString(StandardCharsets.UTF_8).split("\n")) {
                    if (l.isBlank()) continue;
                    JsonNode n = Json.parse(l);   // every line parses on its own
                    if ("json-log-1".equals(n.path("request_id").asText())) line = n;
                    if ("json-log-2".equals(n.path("request_id").asText())) evil = n;
                }
            }
            assertThat(line).as(bytes.toString(StandardCharsets.UTF_8)).isNotNull();
            assertThat(line.get("logger").asText()).isEqualTo("arbiter.access");
            assertThat(line.get("level").asText()).isEqualTo("INFO");
            assertThat(line.get("model").asText()).isEqualTo("chat-openai");
            assertThat(line.get("deployment").asText()).isEqualTo("up-openai");
            assertThat(line.get("status").asInt()).isEqualTo(200);
            assertThat(line.get("stream").asBoolean()).isTrue();
            assertThat(line.get("output_tokens").isNumber()).isTrue();
            assertThat(line.get("ttft_ms").isNumber()).isTrue();
            assertThat(line.get("message").asText()).startsWith("id=json-log-1 ");
            assertThat(evil).isNotNull();
            assertThat(evil.get("status").asInt()).isEqualTo(404);
        } finally {
            access.detachAppender(appender);
            appender.stop();
        }
    }
}
