package dev.arbiter.mock;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.mock.MockUpstreamTest.Event;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/** A running mock-upstream and a JDK HTTP client on loopback, for the tests of the fake's wire formats. */
final class MockHttp implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path AGENT_REQUESTS = Path.of(System.getProperty("user.dir")).resolve("../shared/data/agent-requests");
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    final MockUpstream upstream;

    MockHttp(MockConfig config) {
        upstream = MockUpstream.start("127.0.0.1", 0, config);
    }

    MockHttp() {
        this(MockConfig.DEFAULT);
    }

    /** POSTs {@code body}; {@code headers} are name, value pairs. */
    HttpResponse<String> post(String path, Object body, String... headers) {
        var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + upstream.port() + path))
                .timeout(Duration.ofSeconds(10)).header("content-type", "application/json");
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        try {
            return CLIENT.send(b.POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** POSTs {@code body}, expects 200 and returns the JSON answer. */
    JsonNode ok(String path, Object body, String... headers) {
        var res = post(path, body, headers);
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        return json(res.body());
    }

    /** POSTs {@code body}, expects 200 and an event stream, and returns its events. */
    List<Event> stream(String path, Object body, String... headers) {
        var res = post(path, body, headers);
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        assertThat(res.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        return MockUpstreamTest.sse(res.body());
    }

    /** POSTs {@code body}, expects {@code status} and returns the error message of the body. */
    String error(int status, String path, Object body, String... headers) {
        var res = post(path, body, headers);
        assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
        return json(res.body()).path("error").path("message").asText();
    }

    static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode obj(String s) {
        return (ObjectNode) json(s);
    }

    static List<JsonNode> data(List<Event> events) {
        var out = new ArrayList<JsonNode>();
        for (Event e : events) out.add(json(e.data()));
        return out;
    }

    /** The body of a captured agent request, or skips the test when the captures are not on this machine. */
    static ObjectNode agentRequest(String name) {
        Path p = AGENT_REQUESTS.resolve(name);
        Assumptions.assumeTrue(Files.isReadable(p), "agent request captures not available: " + p);
        try {
            return (ObjectNode) JSON.readTree(p.toFile()).get("body");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        upstream.stop();
    }
}
