package dev.arbiter.e2e;

import dev.arbiter.cli.Gateway;
import dev.arbiter.cli.Sections;
import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockUpstream;
import dev.arbiter.observe.Outcome;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real gateway on a loopback port in front of a real {@code mock-upstream} over HTTP, with a config that
 * reaches the fake through both providers: {@code chat-openai} and {@code embed-openai} (OpenAI wire format),
 * {@code chat-anthropic} (Anthropic wire format), and the in-process {@code mock-chat} / {@code mock-embedding}.
 * The upstream keys are literal test strings, so tests can assert they never leak.
 */
public final class Fixture implements AutoCloseable {
    public static final String OPENAI_KEY = "sk-test-upstream-openai-0123456789abcdef";
    public static final String ANTHROPIC_KEY = "test-upstream-anthropic-key-0123456789";

    public final MockUpstream upstream;
    public final Gateway gateway;
    public final List<Outcome> outcomes = new CopyOnWriteArrayList<>();
    public final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    public Fixture(MockConfig upstreamConfig, String extraServerYaml, String extraModelsYaml) {
        this(upstreamConfig, extraServerYaml, extraModelsYaml, "");
    }

    /** {@code serverKeys}: more lines of the {@code server:} block, each indented by two spaces. */
    public Fixture(MockConfig upstreamConfig, String extraServerYaml, String extraModelsYaml, String serverKeys) {
        this.upstream = MockUpstream.start("127.0.0.1", 0, upstreamConfig);
        String base = "http://127.0.0.1:" + upstream.port();
        String yaml = """
                server:
                  host: 127.0.0.1
                  port: 0
                  max-body-bytes: 262144
                  max-json-depth: 32
                  drain-timeout: 5s
                  keep-alive-interval: 1s
                %s%s
                models:
                  - name: chat-openai
                    deployments: [{name: up-openai, provider: openai, base-url: "%s/v1", api-key: "%s",
                                   price: {input: 1.0, output: 2.0}, timeout: 20s}]
                  - name: chat-anthropic
                    aliases: ["claude-*"]
                    deployments: [{name: up-anthropic, provider: anthropic, base-url: "%s", api-key: "%s",
                                   price: {input: 3.0, output: 15.0}, timeout: 20s}]
                  - name: resp-openai
                    deployments: [{name: up-responses, provider: openai, api: responses, base-url: "%s/v1", api-key: "%s",
                                   timeout: 20s}]
                  - name: embed-openai
                    embeddings: true
                    deployments: [{name: up-openai-embed, provider: openai, base-url: "%s/v1", api-key: "%s"}]
                  - name: mock-chat
                    deployments: [{name: mock, provider: mock}]
                  - name: mock-embedding
                    embeddings: true
                    deployments: [{name: mock, provider: mock}]
                %s
                """.formatted(serverKeys, extraServerYaml, base, OPENAI_KEY, base, ANTHROPIC_KEY, base, OPENAI_KEY, base, OPENAI_KEY, extraModelsYaml.replace("{UPSTREAM}", base));
        try {
            ArbiterConfig cfg = Sections.loader(k -> null)
                    .parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "fixture.yaml");
            this.gateway = Gateway.start(cfg, List.of(outcomes::add));
        } catch (RuntimeException e) {
            upstream.stop();   // a config the gateway refuses leaves no fake upstream running
            throw e;
        }
    }

    public Fixture() {
        this(MockConfig.DEFAULT, "", "");
    }

    public String base() {
        return "http://127.0.0.1:" + gateway.port();
    }

    public URI uri(String path) {
        return URI.create(base() + path);
    }

    public HttpResponse<String> post(String path, String body, Map<String, String> headers) {
        var b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (!headers.containsKey("content-type")) b.header("content-type", "application/json");
        headers.forEach(b::header);
        return send(b.build());
    }

    public HttpResponse<String> post(String path, String body) {
        return post(path, body, Map.of());
    }

    public HttpResponse<String> postBytes(String path, byte[] body, String contentType) {
        return send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).header("content-type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).GET().build());
    }

    public HttpResponse<String> send(HttpRequest r) {
        try {
            return client.send(r, HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError("request failed: " + e, e);
        }
    }

    @Override
    public void close() {
        gateway.close();
        upstream.stop();
    }
}
