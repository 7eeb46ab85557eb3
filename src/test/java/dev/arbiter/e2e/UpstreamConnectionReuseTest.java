package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Sequential requests through the gateway reuse one pooled upstream connection (Apache HttpClient classic, plain
 * HTTP), for non-streamed answers and for streams read to their end, through both upstream wire formats. The
 * upstream's connections are counted by a byte-forwarding TCP proxy between the gateway and the mock upstream.
 */
class UpstreamConnectionReuseTest {
    private static final int REQUESTS = 20;

    /** Forwards every accepted loopback connection to the target port, counting the connections accepted. */
    static final class CountingProxy implements AutoCloseable {
        private final ServerSocket server;
        private final AtomicInteger accepted = new AtomicInteger();
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final Thread acceptor;
        private volatile int targetPort;

        CountingProxy() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            acceptor = Thread.ofPlatform().daemon().name("counting-proxy-accept").start(this::acceptLoop);
        }

        int port() {
            return server.getLocalPort();
        }

        /** Where to forward; set before the first connection arrives. */
        void target(int port) {
            targetPort = port;
        }

        int accepted() {
            return accepted.get();
        }

        private void acceptLoop() {
            while (!server.isClosed()) {
                Socket in;
                try {
                    in = server.accept();
                } catch (IOException e) {
                    return;   // closed
                }
                accepted.incrementAndGet();
                sockets.add(in);
                try {
                    Socket out = new Socket();
                    sockets.add(out);
                    out.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5_000);
                    in.setTcpNoDelay(true);
                    out.setTcpNoDelay(true);
                    Thread.ofVirtual().name("counting-proxy-up").start(() -> pump(in, out));
                    Thread.ofVirtual().name("counting-proxy-down").start(() -> pump(out, in));
                } catch (IOException e) {
                    closeQuietly(in);
                }
            }
        }

        /** Copies bytes one way; at end of input passes the half-close on, on failure closes both. */
        private static void pump(Socket from, Socket to) {
            byte[] buf = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
                to.shutdownOutput();
            } catch (IOException e) {
                closeQuietly(from);
                closeQuietly(to);
            }
        }

        private static void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) closeQuietly(s);
        }
    }

    private static String models(int proxyPort) {
        String base = "http://127.0.0.1:" + proxyPort;
        return """
                  - name: proxied-openai
                    deployments: [{name: up-proxied-openai, provider: openai, base-url: "%s/v1", api-key: "%s", timeout: 20s}]
                  - name: proxied-anthropic
                    deployments: [{name: up-proxied-anthropic, provider: anthropic, base-url: "%s", api-key: "%s", timeout: 20s}]
                """.formatted(base, Fixture.OPENAI_KEY, base, Fixture.ANTHROPIC_KEY);
    }

    @ParameterizedTest(name = "{0} stream={1}")
    @CsvSource({
            "proxied-openai, false, /v1/chat/completions",
            "proxied-openai, true, /v1/chat/completions",
            "proxied-anthropic, false, /v1/messages",
            "proxied-anthropic, true, /v1/messages"})
    void sequentialChatCompletions_reuseOneUpstreamConnection(String model, boolean stream, String upstreamPath) throws Exception {
        try (var proxy = new CountingProxy(); var f = new Fixture(MockConfig.DEFAULT, "", models(proxy.port()))) {
            proxy.target(f.upstream.port());
            String body = """
                    {"model":"%s","messages":[{"role":"user","content":"Say hello"}],"max_tokens":50,"stream":%s}"""
                    .formatted(model, stream);
            for (int i = 0; i < REQUESTS; i++) {
                var r = f.post("/v1/chat/completions", body);
                assertThat(r.statusCode()).as("request %d: %s", i, r.body()).isEqualTo(200);
                if (stream) {
                    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
                    List<String> data = EndpointsTest.sseData(r.body());
                    assertThat(data).as("request %d: %s", i, r.body()).isNotEmpty();
                    assertThat(data.getLast()).isEqualTo("[DONE]");
                    assertThat(EndpointsTest.chatText(r.body())).isNotBlank();
                } else {
                    assertThat(r.body()).contains("\"chat.completion\"");
                }
            }
            var stats = f.upstream.stats();
            assertThat(stats.requests(upstreamPath)).as("requests that reached the upstream through the proxy").isEqualTo(REQUESTS);
            if (stream) assertThat(stats.streamsCompleted()).isEqualTo(REQUESTS);
            assertThat(proxy.accepted()).as("upstream connections opened for %d sequential requests", REQUESTS).isEqualTo(1);
        }
    }
}
