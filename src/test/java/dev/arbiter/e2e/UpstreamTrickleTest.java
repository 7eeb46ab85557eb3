package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An upstream that trickles its status line and headers, a byte every 100 ms, never finishing them: every read
 * returns before the socket timeout, so only the request's deadline can end the wait, and it must.
 */
class UpstreamTrickleTest {

    private static Thread trickler(ServerSocket server) {
        return Thread.ofPlatform().daemon().start(() -> {
            try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                var head = new StringBuilder();
                while (!head.toString().endsWith("\r\n\r\n")) head.append((char) in.read());
                OutputStream out = s.getOutputStream();
                byte[] start = "HTTP/1.1 200 OK\r\nx-slow: ".getBytes(StandardCharsets.US_ASCII);
                out.write(start);
                for (int i = 0; i < 300; i++) {   // 30 s at most
                    out.write('a');
                    out.flush();
                    Thread.sleep(100);
                }
            } catch (Exception e) {
                // the gateway hung up: expected
            }
        });
    }

    @Test
    void headersTrickledPastTheDeadline_requestEndsAtTheDeadline() throws Exception {
        try (var server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String models = """
                      - name: trickle
                        deployments: [{name: trickle-up, provider: openai, base-url: "http://127.0.0.1:%d/v1", timeout: 20s}]
                    """.formatted(server.getLocalPort());
            try (var f = new Fixture(MockConfig.DEFAULT, "", models)) {
                trickler(server);
                long start = System.nanoTime();
                var r = f.post("/v1/chat/completions", "{\"model\":\"trickle\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                        Map.of("x-arbiter-timeout", "1s"));
                long ms = (System.nanoTime() - start) / 1_000_000;
                assertThat(r.statusCode()).as(r.body()).isEqualTo(504);
                assertThat(r.body()).contains("deadline");
                assertThat(ms).as("ms until the gateway answered").isBetween(900L, 5_000L);
            }
        }
    }
}
