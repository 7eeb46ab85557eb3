package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.wire.Json;
import dev.arbiter.mock.MockConfig;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Slow clients (slowloris): a head that trickles in, a body that stalls and a kept-alive connection left idle are
 * closed after the server's {@code header-timeout}, {@code body-idle-timeout} and {@code idle-timeout} (1 s here), so
 * slow sockets cannot hold every connection slot; an answer that takes longer than those is not cut.
 */
class SlowClientTest {
    static Fixture f;

    @BeforeAll
    static void start() {
        // one token every 2.5 s from the upstream: a stream longer than every read timeout
        f = new Fixture(new MockConfig(MockConfig.Latency.NONE, Duration.ZERO, 0.4, 2, 64, null, 42),
                "", "", "  header-timeout: 1s\n  body-idle-timeout: 1s\n  idle-timeout: 1s\n  max-connections: 4\n");
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    /** Writes {@code text} a byte at a time every {@code every} until the server closes or {@code max} passes. */
    static boolean trickleUntilClosed(Socket s, String text, Duration every, Duration max) throws Exception {
        OutputStream out = s.getOutputStream();
        long until = System.nanoTime() + max.toNanos();
        int i = 0;
        try {
            while (System.nanoTime() < until) {
                out.write(text.charAt(i++ % text.length()));
                out.flush();
                Thread.sleep(every.toMillis());
            }
        } catch (SocketException e) {
            return true;   // reset: the server closed
        }
        return closedWithin(s, Duration.ofMillis(200));
    }

    static boolean closedWithin(Socket s, Duration d) throws Exception {
        s.setSoTimeout((int) d.toMillis());
        try {
            return s.getInputStream().read() < 0;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true;
        }
    }

    @Test
    void slowHead_closedAfterHeaderTimeout() throws Exception {
        try (var s = new Socket("127.0.0.1", f.gateway.port())) {
            long t0 = System.nanoTime();
            s.getOutputStream().write("GET /healthz HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(trickleUntilClosed(s, "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", Duration.ofMillis(200), Duration.ofSeconds(6))).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
        }
    }

    @Test
    void stalledBody_408InTheApisFormat_thenClosed() throws Exception {
        try (var s = new Socket("127.0.0.1", f.gateway.port())) {
            s.setSoTimeout(6000);
            s.getOutputStream().write(("POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\n\r\n{\"model\":").getBytes(StandardCharsets.US_ASCII));
            String raw = HttpFramingTest.readUntilClosed(s.getInputStream());
            assertThat(raw).as(raw).startsWith("HTTP/1.1 408").contains("Connection: close").doesNotContain("<still open>");
            var body = Json.parse(raw.substring(raw.indexOf("\r\n\r\n") + 4));
            assertThat(body.path("type").asText()).isEqualTo("error");
            assertThat(body.at("/error/message").asText()).contains("stalled");
        }
    }

    @Test
    void idleKeepAlive_closedAfterIdleTimeout() throws Exception {
        try (var s = new Socket("127.0.0.1", f.gateway.port())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            byte[] buf = new byte[1024];
            assertThat(new String(buf, 0, in.read(buf), StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");
            long t0 = System.nanoTime();
            assertThat(closedWithin(s, Duration.ofSeconds(4))).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThan(Duration.ofMillis(800));
        }
    }

    @Test
    void slowSocketsAtMaxConnections_doNotLockOutClients() throws Exception {
        List<Socket> slow = new ArrayList<>();
        List<Thread> tricklers = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                Socket s = new Socket("127.0.0.1", f.gateway.port());
                slow.add(s);
                tricklers.add(Thread.ofVirtual().start(() -> {
                    try {
                        trickleUntilClosed(s, "GET /healthz HTTP/1.1\r\nX: ", Duration.ofMillis(300), Duration.ofSeconds(8));
                    } catch (Exception e) {
                        // closed by the server
                    }
                }));
            }
            Thread.sleep(300);
            long t0 = System.nanoTime();
            try (var client = new Socket("127.0.0.1", f.gateway.port())) {   // a new connection, not a pooled one
                client.setSoTimeout(6000);
                client.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] buf = new byte[1024];
                int n = client.getInputStream().read(buf);
                assertThat(new String(buf, 0, Math.max(n, 0), StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(6));
        } finally {
            for (Socket s : slow) s.close();
            for (Thread t : tricklers) t.join(10_000);
        }
    }

    @Test
    void answerLongerThanEveryReadTimeout_notCut() {
        var r = f.post("/v1/chat/completions",
                "{\"model\":\"chat-openai\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", Map.of());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body().strip()).endsWith("data: [DONE]");
    }
}
