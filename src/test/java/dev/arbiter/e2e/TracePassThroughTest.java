package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Tracing off (no {@code observe.otlp}): the gateway takes no part in the trace, and a caller's {@code traceparent}
 * and {@code tracestate} reach the upstream unchanged, through either provider, so the upstream's spans still join the
 * caller's trace.
 */
@Timeout(60)
class TracePassThroughTest {
    private static final String PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static Fixture f;

    @BeforeAll
    static void start() {
        f = new Fixture();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    @Test
    void tracingOff_noTracingObjects() {
        assertThat(f.gateway.tracing()).isEmpty();
    }

    @Test
    void openAiUpstream_getsTheCallersTraceContextUnchanged() {
        var r = f.post("/v1/chat/completions", "{\"model\":\"chat-openai\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                Map.of("traceparent", PARENT, "tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"));
        assertThat(r.statusCode()).isEqualTo(200);
        var headers = f.upstream.stats().lastHeaders();
        assertThat(headers.get("traceparent")).isEqualTo(PARENT);
        assertThat(headers.get("tracestate")).isEqualTo("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    }

    @Test
    void anthropicUpstream_getsTheCallersTraceparentUnchanged() {
        var r = f.post("/v1/messages", "{\"model\":\"chat-anthropic\",\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                Map.of("traceparent", PARENT, "anthropic-version", "2023-06-01"));
        assertThat(r.statusCode()).isEqualTo(200);
        var headers = f.upstream.stats().lastHeaders();
        assertThat(headers.get("traceparent")).isEqualTo(PARENT);
        assertThat(headers).doesNotContainKey("tracestate");
    }

    @Test
    void noCallerTraceparent_noneSent() {
        var r = f.post("/v1/chat/completions", "{\"model\":\"chat-openai\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(f.upstream.stats().lastHeaders()).doesNotContainKeys("traceparent", "tracestate");
    }
}
