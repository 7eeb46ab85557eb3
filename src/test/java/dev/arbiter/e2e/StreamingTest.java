package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.mock.MockConfig;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Streams pass chunk by chunk as they arrive, and a client that goes away cancels the upstream call. */
class StreamingTest {
    static Fixture slow() {
        var cfg = new MockConfig(MockConfig.Latency.NONE, Duration.ZERO, 20, 200, 8, MockConfig.Faults.NONE, 1);
        return new Fixture(cfg, "", "");
    }

    static HttpRequest streamRequest(Fixture f, String path, String body) {
        return HttpRequest.newBuilder(f.uri(path)).timeout(Duration.ofSeconds(30)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    @Test
    void stream_firstChunkArrivesLongBeforeTheAnswerEnds() throws Exception {
        try (var f = slow()) {
            var res = f.client.send(streamRequest(f, "/v1/chat/completions",
                    "{\"model\":\"chat-openai\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(res.statusCode()).isEqualTo(200);
            try (InputStream in = res.body()) {
                byte[] first = in.readNBytes(64);
                assertThat(new String(first, StandardCharsets.UTF_8)).startsWith("data: ");
                // 200 tokens at 20 tokens/s take 10 s: the first bytes came through while the upstream was still generating.
                assertThat(f.upstream.stats().streamsCompleted()).isZero();
            }
        }
    }

    @Test
    void clientDisconnect_midStream_cancelsUpstream() throws Exception {
        for (String[] c : new String[][] {
                {"/v1/chat/completions", "{\"model\":\"chat-openai\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"},
                {"/v1/messages", "{\"model\":\"chat-anthropic\",\"max_tokens\":500,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"},
                {"/v1/messages", "{\"model\":\"chat-openai\",\"max_tokens\":500,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"}}) {
            try (var f = slow()) {
                var res = f.client.send(streamRequest(f, c[0], c[1]), HttpResponse.BodyHandlers.ofInputStream());
                assertThat(res.statusCode()).isEqualTo(200);
                try (InputStream in = res.body()) {
                    assertThat(in.readNBytes(32)).isNotEmpty();
                }
                long until = System.nanoTime() + Duration.ofSeconds(8).toNanos();
                while (f.upstream.stats().streamsCancelled() == 0 && System.nanoTime() < until) Thread.sleep(50);
                assertThat(f.upstream.stats().streamsCancelled()).as(c[0] + " " + c[1]).isEqualTo(1);
                assertThat(f.upstream.stats().streamsCompleted()).isZero();
            }
        }
    }
}
