package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.wire.Json;
import dev.arbiter.mock.MockConfig;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An upstream that behaves like llama.cpp's server: it answers (a stream in chunked encoding, or a JSON body) with
 * {@code Keep-Alive: timeout=5} and no {@code Connection: close}, then closes the connection anyway, at once or after
 * a short idle time. A client that reuses the pooled connection finds it dead before any answer arrives; the gateway
 * must send the request again on a new connection, so a sequence of requests a few hundred milliseconds apart all
 * succeed, each reaching the upstream once.
 */
class UpstreamIdleCloseTest {
    enum Closing {
        /** closes a connection that has been idle for 30 ms (what llama.cpp does after a stream) */
        AFTER_30MS_IDLE(30, false),
        /** closes the connection as soon as the answer is written */
        AFTER_ANSWER(0, false),
        /** says {@code Connection: close} and closes (the honest way) */
        WITH_CONNECTION_CLOSE_HEADER(0, true);

        final int idleMillis;
        final boolean header;

        Closing(int idleMillis, boolean header) {
            this.idleMillis = idleMillis;
            this.header = header;
        }
    }

    /** A hand-written HTTP/1.1 server of OpenAI chat completions that closes connections as {@link Closing} says. */
    static final class ClosingUpstream implements AutoCloseable {
        private final ServerSocket server;
        private final int idleMillis;
        private final boolean connectionClose;
        private final String keepAlive;
        final AtomicInteger connections = new AtomicInteger();
        final AtomicInteger requests = new AtomicInteger();

        ClosingUpstream(Closing closing) throws IOException {
            this(closing.idleMillis, closing.header, "timeout=5, max=100");
        }

        /**
         * @param idleMillis how long a connection may stay idle before it is closed; 0 closes it after each answer
         * @param keepAlive the {@code Keep-Alive} header's value
         */
        ClosingUpstream(int idleMillis, boolean connectionClose, String keepAlive) throws IOException {
            this.idleMillis = idleMillis;
            this.connectionClose = connectionClose;
            this.keepAlive = keepAlive;
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofPlatform().daemon().name("closing-upstream").start(this::accept);
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    connections.incrementAndGet();
                    Thread.ofVirtual().start(() -> serve(s));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s) {
                s.setSoTimeout(idleMillis > 0 ? idleMillis : 10_000);
                InputStream in = new BufferedInputStream(s.getInputStream());
                OutputStream out = s.getOutputStream();
                while (true) {
                    String request;
                    try {
                        request = readRequest(in);
                    } catch (SocketTimeoutException idle) {
                        return;   // idle too long: close, as the upstream's keep-alive timer does
                    }
                    if (request == null) return;
                    requests.incrementAndGet();
                    String head = "HTTP/1.1 200 OK\r\nServer: llama.cpp\r\nKeep-Alive: " + keepAlive + "\r\n"
                            + (connectionClose ? "Connection: close\r\n" : "");
                    if (request.contains("\"stream\":true")) {
                        out.write((head + "Content-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                        for (String data : new String[] {
                                "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"llama\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hello\"},\"finish_reason\":null}]}",
                                "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"llama\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}",
                                "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"llama\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}",
                                "[DONE]"}) {
                            byte[] event = ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
                            out.write((Integer.toHexString(event.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                            out.write(event);
                            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                            out.flush();
                        }
                        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    } else {
                        byte[] body = ("{\"id\":\"c2\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"llama\",\"choices\":[{\"index\":0,"
                                + "\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},\"finish_reason\":\"stop\"}],"
                                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}").getBytes(StandardCharsets.UTF_8);
                        out.write((head + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                        out.write(body);
                    }
                    out.flush();
                    if (idleMillis == 0) return;
                }
            } catch (IOException e) {
                // the gateway hung up
            }
        }

        /** The request's head and body as text, or null at the end of the connection. */
        private static String readRequest(InputStream in) throws IOException {
            var head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) return null;
                head.append((char) b);
            }
            int length = 0;
            for (String line : head.toString().split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
            }
            return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Closing.class)
    @Timeout(60)
    void requestsAfterTheUpstreamClosedItsConnection_allSucceed_eachSentOnce(Closing closing) throws Exception {
        try (var up = new ClosingUpstream(closing);
             var f = new Fixture(MockConfig.DEFAULT, "", """
                       - name: llama
                         deployments: [{name: llama-up, provider: openai, base-url: "http://127.0.0.1:%d/v1", timeout: 20s}]
                     """.formatted(up.port()))) {
            var random = new Random(15);
            int n = 8;
            for (int i = 0; i < n; i++) {
                boolean stream = i % 2 == 0;
                var r = f.post("/v1/chat/completions", """
                        {"model":"llama","messages":[{"role":"user","content":"hi"}],"stream":%s}""".formatted(stream));
                assertThat(r.statusCode()).as("request %d (stream=%s): %s", i, stream, r.body()).isEqualTo(200);
                if (stream) {
                    assertThat(EndpointsTest.sseData(r.body()).getLast()).isEqualTo("[DONE]");
                    assertThat(EndpointsTest.chatText(r.body())).isEqualTo("Hello");
                } else {
                    assertThat(Json.parse(r.body()).at("/choices/0/message/content").asText()).isEqualTo("Hello");
                }
                Thread.sleep(100 + random.nextInt(400));   // what an agent takes between turns
            }
            assertThat(up.requests.get()).as("requests that reached the upstream").isEqualTo(n);
        }
    }

    private static Fixture gateway(ClosingUpstream up) {
        return new Fixture(MockConfig.DEFAULT, "", """
                  - name: llama
                    deployments: [{name: llama-up, provider: openai, base-url: "http://127.0.0.1:%d/v1", timeout: 20s}]
                """.formatted(up.port()));
    }

    private static final String CHAT = """
            {"model":"llama","messages":[{"role":"user","content":"hi"}],"stream":%s}""";

    @org.junit.jupiter.api.Test
    @Timeout(60)
    void manyPooledConnectionsAllClosedByTheUpstream_theRetryTakesANewConnection() throws Exception {
        try (var up = new ClosingUpstream(Closing.AFTER_30MS_IDLE); var f = gateway(up)) {
            // a burst leaves several connections in the pool; the upstream then closes them all
            int burst = 6;
            try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                var calls = new java.util.ArrayList<java.util.concurrent.Future<java.net.http.HttpResponse<String>>>();
                for (int i = 0; i < burst; i++) calls.add(pool.submit(() -> f.post("/v1/chat/completions", CHAT.formatted(true))));
                for (var c : calls) assertThat(c.get().statusCode()).isEqualTo(200);
            }
            for (int i = 0; i < burst; i++) {
                Thread.sleep(150);
                var r = f.post("/v1/chat/completions", CHAT.formatted(false));
                assertThat(r.statusCode()).as("request %d after the burst: %s", i, r.body()).isEqualTo(200);
            }
            assertThat(up.requests.get()).isEqualTo(2 * burst);
        }
    }

    @org.junit.jupiter.api.Test
    @Timeout(60)
    void upstreamKeepAliveTimeout_connectionNotReusedPastIt() throws Exception {
        // Keep-Alive: timeout=1 allows one second of idleness; Arbiter keeps half of it as a margin
        try (var up = new ClosingUpstream(1000, false, "timeout=1"); var f = gateway(up)) {
            assertThat(f.post("/v1/chat/completions", CHAT.formatted(false)).statusCode()).isEqualTo(200);
            Thread.sleep(100);
            assertThat(f.post("/v1/chat/completions", CHAT.formatted(true)).statusCode()).isEqualTo(200);
            assertThat(up.connections.get()).as("connections after a 100 ms pause").isEqualTo(1);
            Thread.sleep(750);
            assertThat(f.post("/v1/chat/completions", CHAT.formatted(false)).statusCode()).isEqualTo(200);
            assertThat(up.connections.get()).as("connections after a 750 ms pause, past the allowance").isEqualTo(2);
            assertThat(up.requests.get()).isEqualTo(3);
        }
    }
}
