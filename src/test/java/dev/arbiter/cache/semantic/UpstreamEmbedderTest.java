package dev.arbiter.cache.semantic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against a fake OpenAI-compatible embeddings endpoint over real HTTP on loopback. */
class UpstreamEmbedderTest {
    private HttpServer server;
    private final AtomicReference<String> answer = new AtomicReference<>();
    private final AtomicReference<String> seen = new AtomicReference<>();
    private final AtomicReference<String> auth = new AtomicReference<>();
    private volatile int status = 200;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/embeddings", ex -> {
            seen.set(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            auth.set(ex.getRequestHeaders().getFirst("authorization"));
            byte[] body = answer.get().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private UpstreamEmbedder embedder(int dimension) {
        return new UpstreamEmbedder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1"), "text-embedding-3-small",
                dimension, Optional.of("sk-test"), Duration.ofSeconds(5));
    }

    @Test
    void embed_answer_normalisedVector() {
        answer.set("{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[3,4]}]}");
        try (var e = embedder(2)) {
            assertThat(e.embed("hello")).containsExactly(0.6f, 0.8f);
            assertThat(seen.get()).contains("\"model\":\"text-embedding-3-small\"").contains("\"input\":\"hello\"");
            assertThat(auth.get()).isEqualTo("Bearer sk-test");
        }
    }

    @Test
    void embed_errorOrWrongLength_throwsAndTheCacheSkips() {
        answer.set("{\"data\":[{\"embedding\":[1,2,3]}]}");
        try (var e = embedder(2)) {
            assertThatThrownBy(() -> e.embed("x")).isInstanceOf(IllegalStateException.class).hasMessageContaining("3 numbers (expected: 2)");
            status = 500;
            assertThatThrownBy(() -> e.embed("x")).isInstanceOf(IllegalStateException.class).hasMessageContaining("status 500");
            var clock = new TestClock();
            var cache = new SemanticCache(SemanticConfig.DEFAULT, e, new LuceneHnswIndex(2, 10, Duration.ZERO, clock));
            assertThat(cache.probe("p", "x").hit()).isEmpty();
            assertThat(cache.stats().skipped()).isEqualTo(1);
        }
    }
}
