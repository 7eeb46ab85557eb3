package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.arbiter.wire.Json;
import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigLoader;
import dev.arbiter.mock.MockConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstreams over HTTPS (the JDK client's path), with a self-signed certificate made for the test by the JDK's
 * keytool: a deployment that names it in {@code tls.ca-file} reaches the upstream, streamed or not; one that does not
 * is refused with a clear 502. Azure OpenAI over the same server: the deployment path, {@code api-version} and the
 * {@code api-key} header are what the upstream receives.
 */
class HttpsUpstreamTest {
    private static final String PASSWORD = "changeit";
    private static final String OPENAI_KEY = "sk-https-upstream-0123456789";
    private static final String AZURE_KEY = "0123456789abcdef0123456789abcdef";

    @TempDir
    static Path dir;
    static Path caFile;
    static HttpsServer upstream;
    static final List<Recorded> received = new CopyOnWriteArrayList<>();

    record Recorded(String method, String pathAndQuery, Headers headers, JsonNode body) {}

    @BeforeAll
    static void start() throws Exception {
        Path keystore = dir.resolve("upstream.p12");
        caFile = dir.resolve("upstream-ca.pem");
        keytool("-genkeypair", "-alias", "upstream", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-keystore", keystore.toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "upstream", "-keystore", keystore.toString(), "-storepass", PASSWORD,
                "-file", caFile.toString());

        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        var kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD.toCharArray());
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        upstream = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.setHttpsConfigurator(new HttpsConfigurator(ssl));
        upstream.createContext("/", HttpsUpstreamTest::answer);
        upstream.start();
    }

    private static void keytool(String... args) throws Exception {
        var cmd = new java.util.ArrayList<String>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("keytool: %s", out).isZero();
    }

    @AfterAll
    static void stop() {
        upstream.stop(0);
    }

    @BeforeEach
    void clear() {
        received.clear();
    }

    /** Records the request; answers a chat completion, as a stream if asked. */
    private static void answer(HttpExchange ex) throws IOException {
        JsonNode body = Json.parse(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        received.add(new Recorded(ex.getRequestMethod(), ex.getRequestURI().toString(), ex.getRequestHeaders(), body));
        byte[] out;
        if (body.path("stream").asBoolean()) {
            out = ("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                    + "\"delta\":{\"role\":\"assistant\",\"content\":\"Hello over TLS\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("content-type", "text/event-stream");
        } else {
            out = ("{\"id\":\"c2\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                    + "\"message\":{\"role\":\"assistant\",\"content\":\"Hello over TLS\"},\"finish_reason\":\"stop\"}],"
                    + "\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":3,\"total_tokens\":5}}").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("content-type", "application/json");
        }
        ex.sendResponseHeaders(200, out.length);
        ex.getResponseBody().write(out);
        ex.close();
    }

    private static Fixture gateway() {
        String base = "https://127.0.0.1:" + upstream.getAddress().getPort();
        return new Fixture(MockConfig.DEFAULT, "", """
                  - name: tls-trusted
                    deployments: [{name: tls-trusted-up, provider: openai, base-url: "%1$s/v1", api-key: "%2$s",
                                   tls: {ca-file: "%3$s"}}]
                  - name: tls-untrusted
                    deployments: [{name: tls-untrusted-up, provider: openai, base-url: "%1$s/v1", api-key: "%2$s"}]
                  - name: gpt-azure
                    deployments: [{name: azure-up, provider: azure, model: my-gpt-deployment, base-url: "%1$s",
                                   api-key: "%4$s", api-version: "2024-10-21", tls: {ca-file: "%3$s"}}]
                """.formatted(base, OPENAI_KEY, caFile, AZURE_KEY));
    }

    private static String chat(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":" + stream + "}";
    }

    @Test
    void httpsUpstreamWithItsCaFile_answersStreamedAndNot() {
        try (var f = gateway()) {
            var r = f.post("/v1/chat/completions", chat("tls-trusted", false));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(Json.parse(r.body()).at("/choices/0/message/content").asText()).isEqualTo("Hello over TLS");
            var s = f.post("/v1/chat/completions", chat("tls-trusted", true));
            assertThat(s.statusCode()).isEqualTo(200);
            assertThat(EndpointsTest.chatText(s.body())).isEqualTo("Hello over TLS");
            assertThat(received).hasSize(2);
            assertThat(received.getFirst().pathAndQuery()).isEqualTo("/v1/chat/completions");
            assertThat(received.getFirst().headers().getFirst("authorization")).isEqualTo("Bearer " + OPENAI_KEY);
        }
    }

    @Test
    void httpsUpstreamNotTrusted_502NamingTheTlsSetting_nothingSent() {
        try (var f = gateway()) {
            var r = f.post("/v1/chat/completions", chat("tls-untrusted", false));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
            assertThat(Json.parse(r.body()).at("/error/code").asText()).isEqualTo("upstream_tls_error");
            assertThat(Json.parse(r.body()).at("/error/message").asText()).contains("tls-untrusted-up").contains("tls.ca-file");
            assertThat(received).isEmpty();
        }
    }

    @Test
    void azureDeployment_upstreamGetsTheDeploymentPathApiVersionAndApiKeyHeader() {
        try (var f = gateway()) {
            for (boolean stream : new boolean[] {false, true}) {
                var r = f.post("/v1/chat/completions", chat("gpt-azure", stream));
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(r.headers().firstValue("x-arbiter-provider")).hasValue("azure");
            }
            assertThat(received).hasSize(2);
            for (Recorded got : received) {
                assertThat(got.method()).isEqualTo("POST");
                assertThat(got.pathAndQuery()).isEqualTo("/openai/deployments/my-gpt-deployment/chat/completions?api-version=2024-10-21");
                assertThat(got.headers().getFirst("api-key")).isEqualTo(AZURE_KEY);
                assertThat(got.headers().containsKey("authorization")).as("no Authorization header").isFalse();
                assertThat(got.body().has("model")).as("the deployment names the model, the body does not").isFalse();
                assertThat(got.body().at("/messages/0/content").asText()).isEqualTo("hi");
            }
        }
    }

    @Test
    void tlsCaFileMissingOrNotPem_configProblemsNameIt() throws IOException {
        Path notPem = Files.writeString(dir.resolve("not.pem"), "hello");
        for (String file : List.of(dir.resolve("missing.pem").toString(), notPem.toString())) {
            String yaml = """
                    models:
                      - name: m
                        deployments: [{provider: openai, base-url: "https://127.0.0.1:1/v1", tls: {ca-file: "%s"}}]
                    """.formatted(file);
            try {
                new ConfigLoader(k -> null).parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "t.yaml");
                throw new AssertionError("accepted " + file);
            } catch (ConfigException e) {
                assertThat(e.problems()).anyMatch(p -> p.contains("tls.ca-file") && p.contains(file));
            }
        }
    }

    /**
     * Threads that belong to the JVM or the virtual-thread scheduler, which outlive any gateway; and Helidon's
     * {@code helidon-idle-connection-timer}, which its WebServer leaves running after {@code stop()} (not a client's).
     */
    private static boolean jvmThread(String name) {
        return name.equals("helidon-idle-connection-timer") || name.startsWith("ForkJoinPool") || name.endsWith("-Poller") || name.equals("Common-Cleaner")
                || name.equals("process reaper") || name.startsWith("Attach Listener") || name.startsWith("junit");
    }

    private static Map<Long, String> threads() {
        var out = new java.util.HashMap<Long, String>();
        Thread.getAllStackTraces().keySet().forEach(t -> out.put(t.threadId(), t.getName()));
        return out;
    }

    @Test
    void endpointsShared_andCloseLeavesNoClientThreads() throws Exception {
        var before = threads();
        var f = gateway();
        List<String> during;
        try {
            for (String model : new String[] {"chat-openai", "chat-anthropic", "tls-trusted"}) {
                var r = f.post(model.equals("chat-anthropic") ? "/v1/messages" : "/v1/chat/completions",
                        model.equals("chat-anthropic") ? "{\"model\":\"chat-anthropic\",\"max_tokens\":10,"
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}" : chat(model, false));
                assertThat(r.statusCode()).as(model + ": " + r.body()).isEqualTo(200);
            }
            // chat-openai, resp-openai and embed-openai: one base URL and key; anthropic; the TLS server with and without
            // its CA file; Azure's resource on it with another key
            assertThat(f.gateway.upstreams().all()).hasSize(5);
            during = threads().entrySet().stream().filter(e -> !before.containsKey(e.getKey())).map(Map.Entry::getValue).toList();
            assertThat(during).as("the gateway's client threads, seen before close").contains("arbiter-watchdog")
                    .anySatisfy(n -> assertThat(n).startsWith("idle-connection-evictor"))
                    .anySatisfy(n -> assertThat(n).contains("SelectorManager"));
        } finally {
            f.close();
            f.client.close();   // the test's own client
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<String> left;
        do {
            left = threads().entrySet().stream().filter(e -> !before.containsKey(e.getKey()) && !jvmThread(e.getValue()))
                    .map(Map.Entry::getValue).toList();
            if (left.isEmpty()) break;
            Thread.sleep(50);
        } while (System.nanoTime() < until);
        assertThat(left).as("threads left after close (seen before it: %s)", during).isEmpty();
    }
}
