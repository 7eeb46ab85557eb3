package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.cli.Gateway;
import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigLoader;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockUpstream;
import dev.arbiter.observe.Outcome;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Shutdown past {@code server.drain-timeout}: a stream still running is ended with its format's error event and a
 * proper chunked end, its access line is written, and an idle gateway closes promptly.
 */
class DrainTest {

    private static Gateway start(MockUpstream upstream, List<Outcome> outcomes) {
        String yaml = """
                server: {host: 127.0.0.1, port: 0, drain-timeout: 1s, keep-alive-interval: 30s}
                models:
                  - name: chat-openai
                    deployments: [{name: up, provider: openai, base-url: "http://127.0.0.1:%d/v1", api-key: k, timeout: 60s}]
                  - name: chat-anthropic
                    deployments: [{name: up-a, provider: anthropic, base-url: "http://127.0.0.1:%d", api-key: k, timeout: 60s}]
                """.formatted(upstream.port(), upstream.port());
        ArbiterConfig cfg = new ConfigLoader(k -> null).parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "drain.yaml");
        return Gateway.start(cfg, List.of(outcomes::add));
    }

    /** Reads until {@code marker} has come (at most 10 s); returns what came. */
    private static String readUntil(InputStream in, ByteArrayOutputStream seen, String marker) throws Exception {
        byte[] buf = new byte[4096];
        while (!seen.toString(StandardCharsets.UTF_8).contains(marker)) {
            int n = in.read(buf);
            if (n < 0) break;
            seen.write(buf, 0, n);
        }
        return seen.toString(StandardCharsets.UTF_8);
    }

    @Test
    void drainTimeoutPassed_streamEndsWithErrorEventAndChunkedEnd_accessLineWritten() throws Exception {
        // the first token at once, then one every 2.5 s: still streaming when the 1 s drain timeout passes
        var upstream = MockUpstream.start("127.0.0.1", 0, new MockConfig(MockConfig.Latency.NONE, Duration.ZERO, 0.4, 2, 64, null, 42));
        var outcomes = new CopyOnWriteArrayList<Outcome>();
        Gateway g = start(upstream, outcomes);
        try {
            for (String[] c : new String[][] {
                    {"/v1/chat/completions", "{\"model\":\"chat-openai\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                            "data: {\"error\""},
                    {"/v1/messages", "{\"model\":\"chat-openai\",\"stream\":true,\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                            "event: error"}}) {
                if (c[0].equals("/v1/messages")) {
                    g.close();
                    outcomes.clear();
                    g = start(upstream, outcomes);
                }
                try (var s = new Socket("127.0.0.1", g.port())) {
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write(("POST " + c[0] + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "anthropic-version: 2023-06-01\r\nContent-Length: " + c[1].length() + "\r\n\r\n" + c[1])
                            .getBytes(StandardCharsets.UTF_8));
                    var seen = new ByteArrayOutputStream();
                    readUntil(s.getInputStream(), seen, "data: ");   // streaming has begun
                    Gateway closing = g;
                    var closed = CompletableFuture.runAsync(closing::close);
                    String all = readUntil(s.getInputStream(), seen, "\r\n0\r\n\r\n");
                    closed.get();
                    assertThat(all).as(all).contains(c[2]).contains("shutting down").endsWith("\r\n0\r\n\r\n");
                    assertThat(outcomes).as("access line of the cut stream").hasSize(1);
                }
            }
        } finally {
            g.close();
            upstream.stop();
        }
    }

    @Test
    void idleGateway_closesPromptly_evenWithAnIdleKeepAliveConnection() throws Exception {
        var upstream = MockUpstream.start("127.0.0.1", 0, MockConfig.DEFAULT);
        Gateway g = start(upstream, new CopyOnWriteArrayList<>());
        try (var s = new Socket("127.0.0.1", g.port())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            readUntil(s.getInputStream(), new ByteArrayOutputStream(), "\"ok\"}");
            long t0 = System.nanoTime();
            g.close();
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertThat(took).isLessThan(Duration.ofMillis(700));
        } finally {
            upstream.stop();
        }
    }
}
