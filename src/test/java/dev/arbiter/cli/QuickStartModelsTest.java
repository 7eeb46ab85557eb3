package dev.arbiter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.wire.Json;
import dev.arbiter.config.ConfigLoader;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockUpstream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code serve --upstream URL} in front of a real {@code mock-upstream}: the models listed are the upstream's own,
 * retrieve answers the id asked for, embeddings pass through, and the placeholder name is not sent upstream.
 */
class QuickStartModelsTest {
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) c.close();
        client.close();
    }

    private Gateway quickStart(String upstreamUrl) {
        var serve = new ServeCommand();
        new CommandLine(serve).parseArgs("--upstream", upstreamUrl, "--port", "0");
        Gateway g = Gateway.start(serve.config(new ConfigLoader(k -> null)));
        open.add(g);
        return g;
    }

    private MockUpstream mock() {
        MockUpstream m = MockUpstream.start("127.0.0.1", 0, MockConfig.DEFAULT);
        open.add(m::stop);
        return m;
    }

    private HttpResponse<String> get(Gateway g, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + path))
                .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(Gateway g, String path, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + path))
                .timeout(Duration.ofSeconds(20)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> ids(HttpResponse<String> list) {
        var out = new ArrayList<String>();
        for (JsonNode m : Json.parse(list.body()).path("data")) out.add(m.path("id").asText());
        return out;
    }

    @Test
    void models_listTheUpstreamsOwnModels() throws Exception {
        Gateway g = quickStart("http://127.0.0.1:" + mock().port() + "/v1");
        var list = get(g, "/v1/models");
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(ids(list)).containsExactly("mock-chat", "mock-embedding");
    }

    @Test
    void retrieve_answersTheIdAskedFor() throws Exception {
        Gateway g = quickStart("http://127.0.0.1:" + mock().port() + "/v1");
        for (String id : new String[] {"mock-chat", "llama-3.1-8b-instruct"}) {
            var one = get(g, "/v1/models/" + id);
            assertThat(one.statusCode()).isEqualTo(200);
            assertThat(Json.parse(one.body()).path("id").asText()).isEqualTo(id);
        }
    }

    @Test
    void embeddings_arePassedToTheUpstreamUnderTheClientsModelName() throws Exception {
        MockUpstream m = mock();
        Gateway g = quickStart("http://127.0.0.1:" + m.port() + "/v1");
        get(g, "/v1/models");   // waits for the start-up listing, so that the mock's last request is the embedding
        var r = post(g, "/v1/embeddings", "{\"model\":\"mock-embedding\",\"input\":\"hello\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(Json.parse(r.body()).path("data").path(0).path("embedding").isArray()).isTrue();
        assertThat(m.stats().lastPath()).isEqualTo("/v1/embeddings");
        assertThat(Json.parse(m.stats().lastBody()).path("model").asText()).isEqualTo("mock-embedding");
    }

    @Test
    void chat_withThePlaceholderName_goesToTheUpstreamsFirstModel() throws Exception {
        MockUpstream m = mock();
        Gateway g = quickStart("http://127.0.0.1:" + m.port() + "/v1");
        var r = post(g, "/v1/chat/completions", "{\"model\":\"upstream\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(Json.parse(m.stats().lastBody()).path("model").asText()).isEqualTo("mock-chat");
        var named = post(g, "/v1/chat/completions", "{\"model\":\"some-other-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(named.statusCode()).isEqualTo(200);
        assertThat(Json.parse(m.stats().lastBody()).path("model").asText()).isEqualTo("some-other-model");
    }

    @Test
    void models_whenTheUpstreamCannotBeListed_fallBackToTheConfiguredNameWithinTheBound() throws Exception {
        int closed;
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Gateway g = quickStart("http://127.0.0.1:" + closed + "/v1");
        long start = System.nanoTime();
        var list = get(g, "/v1/models");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(ids(list)).containsExactly("upstream");
    }
}
