package dev.arbiter.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.admin.AdminAccess;
import dev.arbiter.admin.AdminRoute;
import dev.arbiter.admin.AdminRoutes;
import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigLoader;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockProvider;
import dev.arbiter.pipeline.Pipeline;
import dev.arbiter.pipeline.Watchdog;
import dev.arbiter.reasoning.ReasoningEnvelope;
import dev.arbiter.route.ModelRegistry;
import dev.arbiter.wire.Json;
import io.helidon.webserver.WebServer;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The admin API's edge: routes with parameters, bodies and statuses, the admin key check, unknown paths and methods. */
class AdminApiTest {
    private static ModelRegistry registry;
    private static Watchdog watchdog;
    private static WebServer server;
    private static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        ArbiterConfig cfg = new ConfigLoader(k -> null).parse(new ByteArrayInputStream("""
                server: {host: 127.0.0.1, port: 0}
                models: [{name: m, deployments: [{name: d, provider: mock}]}]
                """.getBytes(StandardCharsets.UTF_8)), "t.yaml");
        registry = new ModelRegistry(cfg, d -> new MockProvider(d.section(MockConfig.SECTION)), d -> dev.arbiter.llm.WireFormat.OPENAI_CHAT);
        watchdog = new Watchdog("test-watchdog", System::nanoTime);
        var routes = new AdminRoutes(List.of(
                AdminRoute.get("things", c -> Json.object().put("page", c.query("page").orElse("1"))),
                AdminRoute.get("things/{id}", c -> {
                    if (c.param("id").equals("missing")) throw new ArbiterException.NotFound("No thing 'missing'", null, "not_found");
                    return Json.object().put("id", c.param("id"));
                }),
                AdminRoute.post("things", c -> {
                    c.status().set(201);
                    return Json.object().put("name", c.body().path("name").asText());
                }),
                AdminRoute.post("deep/{rest...}", c -> Json.object().put("rest", c.param("rest"))),
                AdminRoute.delete("things/{id}", c -> Json.object().put("deleted", c.param("id")))));
        AdminAccess access = (authorization, apiKey) -> {
            Optional<String> key = authorization.map(a -> a.replaceFirst("(?i)^bearer ", "")).or(() -> apiKey);
            if (key.isEmpty()) return AdminAccess.Decision.MISSING;
            return key.get().equals("admin-secret-1") ? AdminAccess.Decision.ALLOWED : AdminAccess.Decision.DENIED;
        };
        var api = new HttpApi(cfg.server(), new Pipeline(List.of((exchange, next) -> next.proceed(exchange))), registry, System::nanoTime,
                new ReasoningEnvelope(ReasoningEnvelope.randomKey()), watchdog, () -> "", routes, access);
        server = WebServer.builder().host("127.0.0.1").port(0).routing(api::routing).build().start();
    }

    @AfterAll
    static void stop() {
        server.stop();
        watchdog.close();
        registry.close();
    }

    private static HttpResponse<String> send(String method, String path, String key, String body) throws Exception {
        var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
        if (key != null) b.header("authorization", "Bearer " + key);
        if (body != null) b.header("content-type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void routes_answerJson_withParamsQueryBodyAndStatus() throws Exception {
        var list = send("GET", "/admin/things?page=3", "admin-secret-1", null);
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(Json.parse(list.body()).path("page").asText()).isEqualTo("3");
        assertThat(Json.parse(send("GET", "/admin/things/t1", "admin-secret-1", null).body()).path("id").asText()).isEqualTo("t1");
        var created = send("POST", "/admin/things", "admin-secret-1", "{\"name\":\"n1\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(Json.parse(created.body()).path("name").asText()).isEqualTo("n1");
        assertThat(Json.parse(send("POST", "/admin/deep/a/b/c", "admin-secret-1", null).body()).path("rest").asText()).isEqualTo("a/b/c");
        assertThat(Json.parse(send("DELETE", "/admin/things/t2", "admin-secret-1", null).body()).path("deleted").asText()).isEqualTo("t2");
    }

    @Test
    void adminKey_missingIs401_wrongIs403_andTheKeyNeverEchoes() throws Exception {
        var missing = send("GET", "/admin/things", null, null);
        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(missing.body()).contains("\"error\"");
        var wrong = send("GET", "/admin/things", "guess-123456", null);
        assertThat(wrong.statusCode()).isEqualTo(403);
        assertThat(wrong.body()).doesNotContain("guess-123456");
        // unknown paths are not revealed before the key is checked
        assertThat(send("GET", "/admin/nothing-here", null, null).statusCode()).isEqualTo(401);
    }

    @Test
    void unknownPathIs404_otherMethodIs405_handlerErrorsInTheErrorFormat_badBodyIs400() throws Exception {
        var unknown = send("GET", "/admin/nothing-here\u0000".replace("\u0000", "%0D%0Ax"), "admin-secret-1", null);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(Json.parse(unknown.body()).path("error").path("code").asText()).isEqualTo("unknown_url");
        assertThat(send("PUT", "/admin/things", "admin-secret-1", "{}").statusCode()).isEqualTo(405);
        var missing = send("GET", "/admin/things/missing", "admin-secret-1", null);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(Json.parse(missing.body()).path("error").path("message").asText()).isEqualTo("No thing 'missing'");
        assertThat(send("POST", "/admin/things", "admin-secret-1", "{not json").statusCode()).isEqualTo(400);
    }

    @Test
    void routeTable_rejectsDuplicatesAndMisplacedRest() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new AdminRoutes(List.of(
                AdminRoute.get("a/{x}", c -> Json.object()), AdminRoute.get("a/{y}", c -> Json.object()))))
                .hasMessageContaining("two admin routes");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AdminRoute.get("a/{rest...}/b", c -> Json.object()))
                .hasMessageContaining("last segment");
    }
}
