package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.NotFoundException;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The official Anthropic Java SDK, pointed at Arbiter, works unchanged in front of any backend. */
class AnthropicSdkTest {
    static Fixture f;
    static AnthropicClient client;

    @BeforeAll
    static void start() {
        f = new Fixture();
        client = AnthropicOkHttpClient.builder().baseUrl(f.base()).apiKey("client-key").maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"chat-anthropic", "chat-openai", "mock-chat"})
    void messages_create(String model) {
        Message m = client.messages().create(MessageCreateParams.builder().model(model).maxTokens(64)
                .system("be brief").addUserMessage("Say hello").build());
        assertThat(m.content()).isNotEmpty();
        assertThat(m.content().getFirst().text()).hasValueSatisfying(t -> assertThat(t.text()).isNotBlank());
        assertThat(m.usage().inputTokens()).isPositive();
        assertThat(m.stopReason()).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"chat-anthropic", "chat-openai", "mock-chat"})
    void messages_streaming(String model) {
        var text = new StringBuilder();
        boolean stopped = false;
        try (StreamResponse<RawMessageStreamEvent> s = client.messages().createStreaming(MessageCreateParams.builder()
                .model(model).maxTokens(64).addUserMessage("Say hello").build())) {
            for (RawMessageStreamEvent e : (Iterable<RawMessageStreamEvent>) s.stream()::iterator) {
                e.contentBlockDelta().flatMap(d -> d.delta().text()).ifPresent(t -> text.append(t.text()));
                if (e.isMessageStop()) stopped = true;
            }
        }
        assertThat(text.toString()).isNotBlank();
        assertThat(stopped).isTrue();
    }

    @Test
    void unknownModel_notFoundException() {
        assertThatThrownBy(() -> client.messages().create(MessageCreateParams.builder().model("nope").maxTokens(5)
                .addUserMessage("x").build())).isInstanceOf(NotFoundException.class);
    }

    @Test
    void models_listAndRetrieve() {
        var page = client.models().list();
        assertThat(page.data()).extracting(m -> m.id()).contains("mock-chat", "chat-anthropic");
        page.data().forEach(m -> m.validate());
        var one = client.models().retrieve("chat-anthropic");
        one.validate();
        assertThat(one.id()).isEqualTo("chat-anthropic");
        assertThat(one.displayName()).isEqualTo("chat-anthropic");
        assertThatThrownBy(() -> client.models().retrieve("nope")).isInstanceOf(NotFoundException.class);
    }
}
