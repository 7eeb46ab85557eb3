package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.cli.Gateway;
import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigLoader;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * {@code server.max-connections} bounds the client connections held open: one more waits to be accepted (it is not
 * refused and not served) until another closes, so a flood of connections cannot exhaust the process's files.
 */
class ConnectionLimitTest {

    private static String get(Socket s) throws Exception {
        s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[512];
        int n = in.read(buf);
        return n < 0 ? "" : new String(buf, 0, n, StandardCharsets.US_ASCII);
    }

    @Test
    void connectionsPastTheLimit_waitUntilOneCloses() throws Exception {
        String yaml = """
                server: {host: 127.0.0.1, port: 0, max-connections: 2}
                models:
                  - name: mock-chat
                    deployments: [{name: mock, provider: mock}]
                """;
        ArbiterConfig cfg = new ConfigLoader(k -> null).parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "limit.yaml");
        Gateway g = Gateway.start(cfg);
        var loopback = InetAddress.getLoopbackAddress();
        try (var a = new Socket(loopback, g.port()); var b = new Socket(loopback, g.port()); var c = new Socket(loopback, g.port())) {
            a.setSoTimeout(5000);
            b.setSoTimeout(5000);
            assertThat(get(a)).startsWith("HTTP/1.1 200");
            assertThat(get(b)).startsWith("HTTP/1.1 200");

            c.setSoTimeout(700);   // the third connection is in the backlog: no answer while a and b stay open
            boolean answered;
            try {
                answered = !get(c).isEmpty();
            } catch (SocketTimeoutException e) {
                answered = false;
            }
            assertThat(answered).as("third connection served past max-connections: 2").isFalse();

            a.close();
            c.setSoTimeout(5000);
            byte[] buf = new byte[512];
            int n = c.getInputStream().read(buf);   // its request was sent already; it is answered once a closed
            assertThat(new String(buf, 0, Math.max(n, 0), StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");
        } finally {
            g.close();
        }
    }
}
