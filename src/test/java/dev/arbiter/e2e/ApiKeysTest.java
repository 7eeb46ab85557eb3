package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.MessageCreateParams;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.arbiter.mock.MockConfig;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** API keys over HTTP with both official SDKs: static and virtual keys, missing, wrong, revoked, expired, models. */
class ApiKeysTest {
    static final String ADMIN = "admin-key-0123456789abcdef";
    static final String STATIC = "sk-static-alice-0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Fixture f;

    @BeforeAll
    static void start() {
        f = new Fixture(MockConfig.DEFAULT, """
                auth: {mode: required, admin-key: "%s"}
                keys:
                  - {name: alice, key: "%s", team: red, user: alice@example.com, models: ["mock-*", "chat-*"]}
                """.formatted(ADMIN, STATIC), "");
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    static OpenAIClient openAi(Fixture f, String key) {
        return OpenAIOkHttpClient.builder().baseUrl(f.base() + "/v1").apiKey(key).maxRetries(0).timeout(Duration.ofSeconds(20)).build();
    }

    static AnthropicClient anthropic(Fixture f, String key) {
        return AnthropicOkHttpClient.builder().baseUrl(f.base()).apiKey(key).maxRetries(0).timeout(Duration.ofSeconds(20)).build();
    }

    static String chat(OpenAIClient c, String model) {
        return c.chat().completions().create(ChatCompletionCreateParams.builder().model(model).addUserMessage("Hi").maxCompletionTokens(10).build())
                .choices().get(0).message().content().orElse("");
    }

    static HttpResponse<String> admin(Fixture f, String method, String path, String body, String key) {
        var b = HttpRequest.newBuilder(f.uri("/admin/" + path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) b.header("content-type", "application/json");
        if (key != null) b.header("authorization", "Bearer " + key);
        return f.send(b.build());
    }

    /** Creates a virtual key through the admin API; its secret. */
    static String create(Fixture f, String body) throws Exception {
        var r = admin(f, "POST", "keys", body, ADMIN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return JSON.readTree(r.body()).path("key").asText();
    }

    private static HttpResponse<String> post(String path, String body, String header, String value) {
        var h = new HashMap<String, String>();
        if (header != null) h.put(header, value);
        if (path.startsWith("/v1/messages")) h.put("anthropic-version", "2023-06-01");
        return f.post(path, body, h);
    }

    @Test
    void staticKey_bothSdkHeaders_areServed() {
        assertThat(chat(openAi(f, STATIC), "mock-chat")).isNotEmpty();
        var m = anthropic(f, STATIC).messages().create(MessageCreateParams.builder().model("chat-anthropic").maxTokens(32)
                .addUserMessage("Hi").build());
        assertThat(m.content()).isNotEmpty();
    }

    @Test
    void missingOrWrongKey_is401_inEachApisFormat() throws Exception {
        String chatBody = "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        String msgBody = "{\"model\":\"mock-chat\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        for (String[] who : new String[][] {{null, null}, {"authorization", "Bearer sk-wrong-0123456789abcdef"}, {"x-api-key", "sk-wrong"}}) {
            var r = post("/v1/chat/completions", chatBody, who[0], who[1]);
            assertThat(r.statusCode()).isEqualTo(401);
            JsonNode e = JSON.readTree(r.body()).path("error");
            assertThat(e.path("type").asText()).isEqualTo("authentication_error");
            assertThat(e.path("code").asText()).isEqualTo("invalid_api_key");
            assertThat(r.body()).doesNotContain("sk-wrong");
            var a = post("/v1/messages", msgBody, who[0], who[1]);
            assertThat(a.statusCode()).isEqualTo(401);
            JsonNode ae = JSON.readTree(a.body());
            assertThat(ae.path("type").asText()).isEqualTo("error");
            assertThat(ae.path("error").path("type").asText()).isEqualTo("authentication_error");
        }
        assertThatThrownBy(() -> chat(openAi(f, "sk-not-a-key-0123456789"), "mock-chat")).isInstanceOf(UnauthorizedException.class);
        assertThatThrownBy(() -> anthropic(f, "sk-not-a-key-0123456789").messages().create(MessageCreateParams.builder()
                .model("mock-chat").maxTokens(10).addUserMessage("Hi").build()))
                .isInstanceOf(com.anthropic.errors.UnauthorizedException.class);
    }

    @Test
    void modelNotAllowed_is404ModelNotFound_likeOpenAi() throws Exception {
        assertThatThrownBy(() -> chat(openAi(f, STATIC), "resp-openai")).isInstanceOf(NotFoundException.class);
        var r = post("/v1/embeddings", "{\"model\":\"embed-openai\",\"input\":\"x\"}", "authorization", "Bearer " + STATIC);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(r.body()).path("error").path("code").asText()).isEqualTo("model_not_found");
    }

    @Test
    void adminApi_needsTheAdminKey() {
        assertThat(admin(f, "GET", "keys", null, null).statusCode()).isEqualTo(401);
        assertThat(admin(f, "GET", "keys", null, "not-the-admin-key-0123456").statusCode()).isEqualTo(403);
        assertThat(admin(f, "GET", "keys", null, STATIC).statusCode()).isEqualTo(403);
        assertThat(admin(f, "GET", "keys", null, ADMIN).statusCode()).isEqualTo(200);
    }

    @Test
    void virtualKey_createUseListRevoke() throws Exception {
        String key = create(f, "{\"name\":\"ci-bot\",\"team\":\"blue\",\"models\":[\"mock-chat\"],\"metadata\":{\"owner\":\"ci\"}}");
        assertThat(key).startsWith("sk-arb-").hasSizeGreaterThan(40);
        assertThat(chat(openAi(f, key), "mock-chat")).isNotEmpty();
        assertThat(anthropic(f, key).messages().create(MessageCreateParams.builder().model("mock-chat").maxTokens(16)
                .addUserMessage("Hi").build()).content()).isNotEmpty();
        assertThatThrownBy(() -> chat(openAi(f, key), "chat-openai")).isInstanceOf(NotFoundException.class);

        var list = admin(f, "GET", "keys", null, ADMIN);
        assertThat(list.body()).doesNotContain(key).doesNotContain(key.substring(12)).doesNotContain(STATIC)
                .contains("\"prefix\":\"" + key.substring(0, 12) + "\"").contains("ci-bot").contains("alice");
        String id = null;
        for (JsonNode k : JSON.readTree(list.body()).path("data")) if (k.path("name").asText().equals("ci-bot")) id = k.path("id").asText();
        assertThat(id).isNotNull();
        assertThat(admin(f, "GET", "keys/" + id, null, ADMIN).body()).contains("\"team\":\"blue\"").contains("\"owner\":\"ci\"");

        assertThat(admin(f, "DELETE", "keys/" + id, null, ADMIN).statusCode()).isEqualTo(200);
        var refused = post("/v1/chat/completions", "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "authorization", "Bearer " + key);
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.body()).contains("revoked").doesNotContain(key);
        assertThat(admin(f, "GET", "keys/" + id, null, ADMIN).body()).contains("\"status\":\"revoked\"");
        assertThat(admin(f, "DELETE", "keys/vk_nope", null, ADMIN).statusCode()).isEqualTo(404);
    }

    @Test
    void virtualKey_expired_is401() throws Exception {
        String key = create(f, "{\"name\":\"short-lived\",\"expires_in\":1}");
        assertThat(chat(openAi(f, key), "mock-chat")).isNotEmpty();
        Thread.sleep(1100);
        var r = post("/v1/chat/completions", "{\"model\":\"mock-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "x-api-key", key);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).contains("expired");
    }

    @Test
    void adminApi_badKeySpec_is400() {
        assertThat(admin(f, "POST", "keys", "{\"name\":\"x\",\"limits\":{\"rpm\":-1}}", ADMIN).statusCode()).isEqualTo(400);
        assertThat(admin(f, "POST", "keys", "{\"name\":\"x\",\"colour\":\"red\"}", ADMIN).statusCode()).isEqualTo(400);
        assertThat(admin(f, "POST", "keys", "{\"team\":\"x\"}", ADMIN).statusCode()).isEqualTo(400);
        assertThat(admin(f, "POST", "keys", "{\"name\":\"alice\"}", ADMIN).statusCode()).isEqualTo(400);
    }

    @Test
    void storedResponse_keyA_isNotFoundForKeyB() throws Exception {
        String a = create(f, "{\"name\":\"store-a\"}");
        String b = create(f, "{\"name\":\"store-b\"}");
        var made = post("/v1/responses", "{\"model\":\"mock-chat\",\"input\":\"remember aubergine\"}", "authorization", "Bearer " + a);
        assertThat(made.statusCode()).isEqualTo(200);
        String id = JSON.readTree(made.body()).path("id").asText();
        for (String method : new String[] {"GET", "DELETE"}) {
            var r = f.send(HttpRequest.newBuilder(f.uri("/v1/responses/" + id)).method(method, HttpRequest.BodyPublishers.noBody())
                    .header("authorization", "Bearer " + b).build());
            assertThat(r.statusCode()).isEqualTo(404);
        }
        var own = f.send(HttpRequest.newBuilder(f.uri("/v1/responses/" + id)).GET().header("x-api-key", a).build());
        assertThat(own.statusCode()).isEqualTo(200);
        var del = f.send(HttpRequest.newBuilder(f.uri("/v1/responses/" + id)).DELETE().header("authorization", "Bearer " + a).build());
        assertThat(del.statusCode()).isEqualTo(200);
    }

    @Test
    void keyNeverInTheAccessOutcome() throws Exception {
        String key = create(f, "{\"name\":\"quiet\"}");
        chat(openAi(f, key), "mock-chat");
        Thread.sleep(100);
        assertThat(f.outcomes.toString()).doesNotContain(key).doesNotContain(STATIC);
    }
}
