package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.errors.RateLimitException;
import com.anthropic.models.messages.MessageCreateParams;
import dev.arbiter.mock.MockConfig;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each tier and dimension over HTTP, in memory: 429 in each API's format, Retry-After, x-ratelimit headers. */
class RateLimitsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]%s}";
    private static Fixture f;

    @BeforeAll
    static void start() {
        f = new Fixture(MockConfig.DEFAULT, """
                auth: {mode: optional, admin-key: "%s"}
                keys:
                  - {name: red-1, key: "sk-red-one-0123456789abcdef", team: red}
                  - {name: red-2, key: "sk-red-two-0123456789abcdef", team: red}
                  - {name: tight, key: "sk-tight-0123456789abcdef", limits: {rpm: 3}}
                  - {name: tokens, key: "sk-tokens-0123456789abcdef", limits: {tpm: 300}}
                  - {name: one-at-a-time, key: "sk-one-0123456789abcdef", limits: {concurrency: 1}}
                rate-limits:
                  store: memory
                  teams: {red: {rpm: 4}}
                  user: {rpm: 2}
                  models: {chat-anthropic: {rpm: 2, algorithm: sliding-window}}
                """.formatted(ApiKeysTest.ADMIN), """
                  - name: slow-chat
                    deployments: [{name: slow, provider: mock, mock: {latency: 1500ms}}]
                """);
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static HttpResponse<String> chat(String key, String model, String extra, Map<String, String> more) {
        var h = new java.util.HashMap<>(more);
        if (key != null) h.put("authorization", "Bearer " + key);
        return f.post("/v1/chat/completions", CHAT.formatted(model, extra), h);
    }

    @Test
    void keyRpm_refusedWith429_retryAfterAndHeaders_onEveryAnswer() throws Exception {
        for (int i = 0; i < 3; i++) {
            var r = chat("sk-tight-0123456789abcdef", "mock-chat", "", Map.of());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-ratelimit-limit-requests")).hasValue("3");
            assertThat(r.headers().firstValue("x-ratelimit-remaining-requests")).hasValue(Integer.toString(2 - i));
            assertThat(r.headers().firstValue("x-ratelimit-reset-requests")).isPresent();
        }
        var r = chat("sk-tight-0123456789abcdef", "mock-chat", "", Map.of());
        assertThat(r.statusCode()).isEqualTo(429);
        var e = JSON.readTree(r.body()).path("error");
        assertThat(e.path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(e.path("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(e.path("message").asText()).contains("key").contains("requests per 1m").doesNotContain("sk-tight");
        long retry = Long.parseLong(r.headers().firstValue("retry-after").orElseThrow());
        assertThat(retry).isBetween(1L, 20L);   // a third of a minute at most
        assertThat(Long.parseLong(r.headers().firstValue("retry-after-ms").orElseThrow())).isBetween(1L, 20_000L);
        assertThat(r.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");
        // the SDKs read it as a rate limit
        assertThatThrownBy(() -> ApiKeysTest.chat(ApiKeysTest.openAi(f, "sk-tight-0123456789abcdef"), "mock-chat"))
                .isInstanceOf(RateLimitException.class);
        assertThatThrownBy(() -> ApiKeysTest.anthropic(f, "sk-tight-0123456789abcdef").messages().create(MessageCreateParams.builder()
                .model("mock-chat").maxTokens(10).addUserMessage("Hi").build()))
                .isInstanceOf(com.anthropic.errors.RateLimitException.class);
        var m = f.post("/v1/messages", "{\"model\":\"mock-chat\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                Map.of("x-api-key", "sk-tight-0123456789abcdef", "anthropic-version", "2023-06-01"));
        assertThat(m.statusCode()).isEqualTo(429);
        assertThat(JSON.readTree(m.body()).path("error").path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(m.headers().firstValue("retry-after")).isPresent();
    }

    @Test
    void teamRpm_isSharedByTheTeamsKeys() {
        int ok = 0;
        for (int i = 0; i < 6; i++) {
            if (chat(i % 2 == 0 ? "sk-red-one-0123456789abcdef" : "sk-red-two-0123456789abcdef", "mock-chat", "", Map.of()).statusCode() == 200) ok++;
        }
        assertThat(ok).isEqualTo(4);
        var scrape = f.get("/metrics").body();
        assertThat(scrape).containsPattern("arbiter_limit_rejections_total\\{dimension=\"requests\",tier=\"team\"} [1-9]");
    }

    @Test
    void userRpm_fromTheUserFieldOrHeader() {
        var statuses = new ArrayList<Integer>();
        for (int i = 0; i < 3; i++) statuses.add(chat(null, "mock-chat", ",\"user\":\"carol\"", Map.of()).statusCode());
        assertThat(statuses).containsExactly(200, 200, 429);
        assertThat(chat(null, "mock-chat", ",\"user\":\"dave\"", Map.of()).statusCode()).isEqualTo(200);
        var h = new ArrayList<Integer>();
        for (int i = 0; i < 3; i++) h.add(chat(null, "mock-chat", "", Map.of("x-arbiter-user", "erin")).statusCode());
        assertThat(h).containsExactly(200, 200, 429);
    }

    @Test
    void modelRpm_countsEveryCallerOfTheModel() {
        var statuses = new ArrayList<Integer>();
        for (int i = 0; i < 3; i++) {
            statuses.add(f.post("/v1/messages", "{\"model\":\"chat-anthropic\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                    Map.of("anthropic-version", "2023-06-01")).statusCode());
        }
        assertThat(statuses).containsExactly(200, 200, 429);
    }

    @Test
    void keyTpm_estimatedBeforeAndCorrectedAfter() {
        var first = chat("sk-tokens-0123456789abcdef", "mock-chat", ",\"max_tokens\":20", Map.of());
        assertThat(first.statusCode()).isEqualTo(200);
        long after1 = Long.parseLong(first.headers().firstValue("x-ratelimit-remaining-tokens").orElseThrow());
        assertThat(after1).isLessThan(300);
        assertThat(first.headers().firstValue("x-ratelimit-limit-tokens")).hasValue("300");
        // the estimate (input + max_tokens) was taken; the real usage (fewer tokens) is charged after: the next one sees more
        var second = chat("sk-tokens-0123456789abcdef", "mock-chat", ",\"max_tokens\":20", Map.of());
        long after2 = Long.parseLong(second.headers().firstValue("x-ratelimit-remaining-tokens").orElseThrow());
        assertThat(after1 - after2).isBetween(1L, 60L);
        // a huge max_tokens drains the bucket; the next request waits for tokens
        int status = 0;
        for (int i = 0; i < 20 && status != 429; i++) status = chat("sk-tokens-0123456789abcdef", "mock-chat", ",\"max_tokens\":250", Map.of()).statusCode();
        assertThat(status).isEqualTo(429);
    }

    @Test
    void keyConcurrency_secondInFlightIsRefused_slotFreedAfter() throws Exception {
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<String>>> all = new ArrayList<>();
            for (int i = 0; i < 3; i++) all.add(pool.submit(() -> chat("sk-one-0123456789abcdef", "slow-chat", "", Map.of())));
            var statuses = new ArrayList<Integer>();
            for (var x : all) statuses.add(x.get(30, TimeUnit.SECONDS).statusCode());
            assertThat(statuses).containsOnlyOnce(200).contains(429);
            for (var x : all) {
                if (x.get().statusCode() == 429) assertThat(x.get().body()).contains("in flight");
            }
        }
        assertThat(chat("sk-one-0123456789abcdef", "mock-chat", "", Map.of()).statusCode()).isEqualTo(200);
        assertThat(chat("sk-one-0123456789abcdef", "mock-chat", ",\"stream\":true", Map.of()).statusCode()).isEqualTo(200);
        assertThat(chat("sk-one-0123456789abcdef", "mock-chat", "", Map.of()).statusCode()).isEqualTo(200);   // the stream released it
    }
}
