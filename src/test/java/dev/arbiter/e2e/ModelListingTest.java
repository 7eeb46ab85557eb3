package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arbiter.mock.MockConfig;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/models} and {@code /v1/models/{id}} show a key the models it may call, under both SDKs' auth headers. */
class ModelListingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY_A = "sk-models-a-0123456789abcdef";
    private static final String KEY_B = "sk-models-b-0123456789abcdef";

    private static Fixture gateway(String mode) {
        return new Fixture(MockConfig.DEFAULT, """
                auth: {mode: "%s", admin-key: "%s"}
                keys:
                  - {name: models-a, key: "%s", models: ["mock-*"]}
                  - {name: models-b, key: "%s", models: ["chat-openai", "resp-*"]}
                """.formatted(mode, ApiKeysTest.ADMIN, KEY_A, KEY_B), "");
    }

    private static HttpResponse<String> get(Fixture f, String path, String... headers) {
        var b = HttpRequest.newBuilder(f.uri(path)).timeout(Duration.ofSeconds(10)).GET();
        if (headers.length > 0) b.headers(headers);
        return f.send(b.build());
    }

    private static List<String> ids(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        var out = new ArrayList<String>();
        for (JsonNode m : JSON.readTree(r.body()).path("data")) out.add(m.path("id").asText());
        return out;
    }

    @Test
    void required_listsEachKeysOwnModels_underBothAuthHeaders() throws Exception {
        try (Fixture f = gateway("required")) {
            assertThat(ids(get(f, "/v1/models", "authorization", "Bearer " + KEY_A))).containsExactlyInAnyOrder("mock-chat", "mock-embedding");
            assertThat(ids(get(f, "/v1/models", "x-api-key", KEY_A, "anthropic-version", "2023-06-01")))
                    .containsExactlyInAnyOrder("mock-chat", "mock-embedding");
            assertThat(ids(get(f, "/models", "x-api-key", KEY_B))).containsExactlyInAnyOrder("chat-openai", "resp-openai");

            assertThat(get(f, "/v1/models/mock-chat", "authorization", "Bearer " + KEY_A).statusCode()).isEqualTo(200);
            var hidden = get(f, "/v1/models/mock-chat", "x-api-key", KEY_B);
            assertThat(hidden.statusCode()).isEqualTo(404);
            assertThat(JSON.readTree(hidden.body()).path("error").path("code").asText()).isEqualTo("model_not_found");
            assertThat(get(f, "/v1/models/chat-openai", "x-api-key", KEY_B).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void required_withoutAValidKey_is401_inTheApisErrorFormat() throws Exception {
        try (Fixture f = gateway("required")) {
            var openai = get(f, "/v1/models");
            assertThat(openai.statusCode()).isEqualTo(401);
            assertThat(JSON.readTree(openai.body()).path("error").path("type").asText()).isEqualTo("authentication_error");
            var anthropic = get(f, "/v1/models", "anthropic-version", "2023-06-01");
            assertThat(anthropic.statusCode()).isEqualTo(401);
            JsonNode a = JSON.readTree(anthropic.body());
            assertThat(a.path("type").asText()).isEqualTo("error");
            assertThat(a.path("error").path("type").asText()).isEqualTo("authentication_error");
            var wrong = get(f, "/v1/models/mock-chat", "authorization", "Bearer sk-not-a-key-0123456789");
            assertThat(wrong.statusCode()).isEqualTo(401);
            assertThat(wrong.body()).doesNotContain("sk-not-a-key");
        }
    }

    @Test
    void optional_listsEverythingWithoutAKey_andTheKeysModelsWithOne() throws Exception {
        try (Fixture f = gateway("optional")) {
            assertThat(ids(get(f, "/v1/models"))).contains("mock-chat", "chat-openai", "embed-openai");
            assertThat(ids(get(f, "/v1/models", "authorization", "Bearer " + KEY_B))).containsExactlyInAnyOrder("chat-openai", "resp-openai");
        }
        try (Fixture f = gateway("off")) {
            assertThat(ids(get(f, "/v1/models", "authorization", "Bearer " + KEY_B))).contains("mock-chat", "chat-openai");
        }
    }
}
