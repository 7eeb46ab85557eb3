package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A stream whose upstream goes quiet for longer than the keep-alive interval (1 s in the fixture) gets keep-alives
 * in its own format while it waits, and still ends properly. The mock sends its first token at once and then one
 * token every 2.5 s.
 */
class KeepAliveTest {
    private static Fixture f;

    @BeforeAll
    static void start() {
        f = new Fixture(new MockConfig(MockConfig.Latency.NONE, Duration.ZERO, 0.4, 2, 64, null, 42), "", "");
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    @Test
    void chatStream_getsCommentKeepAlivesWhileUpstreamIsQuiet() {
        var r = f.post("/v1/chat/completions",
                "{\"model\":\"chat-openai\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        String body = r.body();
        assertThat(body).contains(": keep-alive");
        assertThat(body.indexOf(": keep-alive")).isLessThan(body.lastIndexOf("data: {"));
        assertThat(body.strip()).endsWith("data: [DONE]");
    }

    @Test
    void messagesStream_getsPingEventsWhileUpstreamIsQuiet() {
        var r = f.post("/v1/messages", "{\"model\":\"chat-openai\",\"max_tokens\":64,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", Map.of("anthropic-version", "2023-06-01"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        String body = r.body();
        assertThat(body).contains("event: ping\ndata: {\"type\":\"ping\"}");
        assertThat(body.indexOf("event: ping")).isGreaterThan(body.indexOf("event: message_start"));
        assertThat(body.strip()).contains("event: message_stop");
    }
}
