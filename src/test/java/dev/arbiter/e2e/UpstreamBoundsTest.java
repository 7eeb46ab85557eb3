package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.arbiter.wire.Json;
import dev.arbiter.mock.MockConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An upstream that sends more than a deployment accepts (here bounded at 1 MiB, the upstream sending 2 MiB, written
 * piece by piece so neither side holds it whole): a body over {@code max-response-bytes} and a stream event over
 * {@code max-event-bytes} become a 502 in the API's format, or the stream's error event once it has started; answers
 * within the bounds pass.
 */
@Timeout(60)
class UpstreamBoundsTest {
    private static final int BOUND = 1024 * 1024;
    private static final int SENT = 2 * BOUND;
    private static final String CHUNK = "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"},\"finish_reason\":null}]}";

    private HttpServer upstream;

    @BeforeEach
    void start() throws IOException {
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.createContext("/length/v1/chat/completions", ex -> bigJson(ex, true));
        upstream.createContext("/chunked/v1/chat/completions", ex -> bigJson(ex, false));
        upstream.createContext("/within/v1/chat/completions", UpstreamBoundsTest::jsonWithinBound);
        upstream.createContext("/first-event/v1/chat/completions", ex -> bigEvent(ex, false));
        upstream.createContext("/later-event/v1/chat/completions", ex -> bigEvent(ex, true));
        upstream.start();
    }

    @AfterEach
    void stop() {
        upstream.stop(0);
    }

    /** A chat completion whose content is {@code n} x's, written a piece at a time. */
    private static void writeCompletion(OutputStream out, int n) throws IOException {
        out.write("{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
                .getBytes(StandardCharsets.US_ASCII));
        writeXs(out, n);
        out.write("\"},\"finish_reason\":\"stop\"}]}".getBytes(StandardCharsets.US_ASCII));
    }

    private static void writeXs(OutputStream out, int n) throws IOException {
        byte[] piece = new byte[64 * 1024];
        Arrays.fill(piece, (byte) 'x');
        for (int left = n; left > 0; left -= piece.length) out.write(piece, 0, Math.min(left, piece.length));
    }

    private static void bigJson(HttpExchange ex, boolean declareLength) throws IOException {
        ex.getRequestBody().readAllBytes();
        ex.getResponseHeaders().set("content-type", "application/json");
        try (ex; OutputStream out = ex.getResponseBody()) {
            ex.sendResponseHeaders(200, declareLength ? SENT + 128 : 0);
            writeCompletion(out, SENT);
        } catch (IOException e) {
            // the gateway stopped reading
        }
    }

    private static void jsonWithinBound(HttpExchange ex) throws IOException {
        ex.getRequestBody().readAllBytes();
        ex.getResponseHeaders().set("content-type", "application/json");
        try (ex; OutputStream out = ex.getResponseBody()) {
            ex.sendResponseHeaders(200, 0);
            writeCompletion(out, BOUND - 1024);
        }
    }

    private static void bigEvent(HttpExchange ex, boolean afterAGoodOne) throws IOException {
        ex.getRequestBody().readAllBytes();
        ex.getResponseHeaders().set("content-type", "text/event-stream");
        try (ex; OutputStream out = ex.getResponseBody()) {
            ex.sendResponseHeaders(200, 0);
            if (afterAGoodOne) {
                out.write(("data: " + CHUNK.formatted("Hello") + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
            out.write("data: ".getBytes(StandardCharsets.US_ASCII));
            writeXs(out, SENT);   // one line, no end in sight
            out.write("\n\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // the gateway stopped reading
        }
    }

    private Fixture gateway() {
        String base = "http://127.0.0.1:" + upstream.getAddress().getPort();
        var models = new StringBuilder();
        // breakers off: every request must reach its upstream, however often it failed before
        for (String path : new String[] {"length", "chunked", "within", "first-event", "later-event"}) {
            models.append("""
                      - name: %s
                        deployments: [{name: %s-up, provider: openai, base-url: "%s/%s/v1", max-response-bytes: %d, max-event-bytes: %d,
                                       circuit-breaker: {enabled: false}}]
                    """.formatted(path, path, base, path, BOUND, BOUND));
        }
        return new Fixture(MockConfig.DEFAULT, "", models.toString());
    }

    private static String chat(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":" + stream + "}";
    }

    @Test
    void bodyOverMaxResponseBytes_502InTheApiFormat_withOrWithoutContentLength() {
        try (var f = gateway()) {
            for (String model : new String[] {"length", "chunked"}) {
                var r = f.post("/v1/chat/completions", chat(model, false));
                assertThat(r.statusCode()).as(model + ": " + r.body()).isEqualTo(502);
                var err = Json.parse(r.body()).path("error");
                assertThat(err.path("code").asText()).isEqualTo("upstream_response_too_large");
                assertThat(err.path("message").asText()).contains(model + "-up").contains("max-response-bytes");
            }
            var m = f.post("/v1/messages", "{\"model\":\"chunked\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertThat(m.statusCode()).isEqualTo(502);
            assertThat(Json.parse(m.body()).path("type").asText()).isEqualTo("error");
        }
    }

    @Test
    void bodyWithinMaxResponseBytes_passes() {
        try (var f = gateway()) {
            var r = f.post("/v1/chat/completions", chat("within", false));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(Json.parse(r.body()).at("/choices/0/message/content").asText()).hasSize(BOUND - 1024);
        }
    }

    @Test
    void firstStreamEventOverMaxEventBytes_502InTheApiFormat() {
        try (var f = gateway()) {
            var r = f.post("/v1/chat/completions", chat("first-event", true));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
            assertThat(Json.parse(r.body()).at("/error/code").asText()).isEqualTo("upstream_response_too_large");
        }
    }

    @Test
    void laterStreamEventOverMaxEventBytes_streamEndsWithAnErrorEvent() {
        try (var f = gateway()) {
            var r = f.post("/v1/chat/completions", chat("later-event", true));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(EndpointsTest.chatText(r.body())).isEqualTo("Hello");
            var last = EndpointsTest.sseData(r.body()).getLast();
            assertThat(Json.parse(last).at("/error/code").asText()).as(last).isEqualTo("upstream_response_too_large");
            assertThat(r.body()).contains("max-event-bytes");
        }
    }
}
