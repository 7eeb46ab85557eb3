package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An OTLP endpoint that cannot take spans never fails or slows a request: one that refuses connections, and one that
 * accepts them and never answers (each export then waits out its timeout while spans pile up and are dropped). The
 * gateway's close is bounded too.
 */
@Timeout(90)
class TracingUnreachableTest {
    private static final int REQUESTS = 60;

    private static void requestsUnharmed(String endpoint) {
        var f = new Fixture(MockConfig.DEFAULT, """
                observe:
                  otlp: {endpoint: "%s", timeout: 2s, queue-size: 16, export-interval: 10ms}
                """.formatted(endpoint), "");
        try {
            long worst = 0;
            for (int i = 0; i < REQUESTS; i++) {
                long t = System.nanoTime();
                var r = f.post("/v1/chat/completions", "{\"model\":\"chat-openai\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                        Map.of("traceparent", "00-" + "a".repeat(32) + "-" + "b".repeat(16) + "-01"));
                long ms = (System.nanoTime() - t) / 1_000_000;
                assertThat(r.statusCode()).isEqualTo(200);
                // the upstream still gets the trace context
                assertThat(f.upstream.stats().lastHeaders().get("traceparent")).startsWith("00-" + "a".repeat(32) + "-");
                if (i > 0) worst = Math.max(worst, ms);   // the first request loads classes
            }
            // far below the export timeout (2 s): no request waited for an export; generous for a busy 2-core machine
            assertThat(worst).as("slowest request, ms").isLessThan(1_000);
        } finally {
            long t = System.nanoTime();
            f.close();
            assertThat((System.nanoTime() - t) / 1_000_000).as("close, ms").isLessThan(10_000);
        }
    }

    @Test
    void refusingEndpoint_requestsUnharmed() throws Exception {
        int port;
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        requestsUnharmed("http://127.0.0.1:" + port);
    }

    @Test
    void silentEndpoint_requestsUnharmed() throws Exception {
        // accepts connections (the kernel completes them) and never reads or answers
        try (var silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            requestsUnharmed("http://127.0.0.1:" + silent.getLocalPort());
        }
    }
}
