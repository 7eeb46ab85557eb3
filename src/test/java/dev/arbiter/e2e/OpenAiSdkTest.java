package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.RateLimitException;
import com.openai.errors.SseException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.arbiter.mock.MockConfig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java SDK, pointed at Arbiter, works unchanged: chat, streams, embeddings, models, errors. */
class OpenAiSdkTest {
    static Fixture f;
    static OpenAIClient client;

    @BeforeAll
    static void start() {
        f = new Fixture();
        client = OpenAIOkHttpClient.builder().baseUrl(f.base() + "/v1").apiKey("client-key").maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"chat-openai", "chat-anthropic", "mock-chat"})
    void chat_create(String model) {
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model(model).addSystemMessage("be brief").addUserMessage("Say hello").maxCompletionTokens(20).build());
        assertThat(c.choices()).hasSize(1);
        assertThat(c.choices().getFirst().message().content()).hasValueSatisfying(t -> assertThat(t).isNotBlank());
        assertThat(c.usage()).hasValueSatisfying(u -> assertThat(u.promptTokens()).isPositive());
    }

    @ParameterizedTest
    @ValueSource(strings = {"chat-openai", "chat-anthropic", "mock-chat"})
    void chat_streaming(String model) {
        var params = ChatCompletionCreateParams.builder().model(model).addUserMessage("Say hello").maxCompletionTokens(20)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        var text = new StringBuilder();
        long completion = 0;
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
            for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) s.stream()::iterator) {
                for (var ch : chunk.choices()) ch.delta().content().ifPresent(text::append);
                if (chunk.usage().isPresent()) completion = chunk.usage().get().completionTokens();
            }
        }
        assertThat(text.toString()).isNotBlank();
        assertThat(completion).isPositive();
    }

    @Test
    void chat_toolCall_roundTrip() {
        var tool = com.openai.models.chat.completions.ChatCompletionTool.ofFunction(
                com.openai.models.chat.completions.ChatCompletionFunctionTool.builder()
                        .function(com.openai.models.FunctionDefinition.builder().name("get_weather")
                                .parameters(com.openai.models.FunctionParameters.builder()
                                        .putAdditionalProperty("type", com.openai.core.JsonValue.from("object"))
                                        .putAdditionalProperty("properties", com.openai.core.JsonValue.from(
                                                java.util.Map.of("city", java.util.Map.of("type", "string"))))
                                        .putAdditionalProperty("required", com.openai.core.JsonValue.from(List.of("city")))
                                        .build())
                                .build())
                        .build());
        for (String model : List.of("chat-openai", "chat-anthropic")) {
            var first = client.chat().completions().create(ChatCompletionCreateParams.builder().model(model)
                    .addUserMessage("Weather in Paris?").addTool(tool).build());
            var call = first.choices().getFirst().message().toolCalls().orElseThrow().getFirst().asFunction();
            assertThat(call.function().name()).isEqualTo("get_weather");
            assertThat(call.function().arguments()).contains("city");
            assertThat(first.choices().getFirst().finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
            var second = client.chat().completions().create(ChatCompletionCreateParams.builder().model(model)
                    .addUserMessage("Weather in Paris?")
                    .addMessage(first.choices().getFirst().message())
                    .addMessage(com.openai.models.chat.completions.ChatCompletionToolMessageParam.builder()
                            .toolCallId(call.id()).content("sunny, 21C").build())
                    .addTool(tool).build());
            assertThat(second.choices().getFirst().message().content()).isPresent();
            assertThat(second.choices().getFirst().finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"embed-openai", "mock-embedding"})
    void embeddings(String model) {
        var e = client.embeddings().create(EmbeddingCreateParams.builder().model(model).input("hello world").build());
        assertThat(e.data()).hasSize(1);
        assertThat(e.data().getFirst().embedding()).isNotEmpty();
    }

    @Test
    void models_list() {
        var ids = client.models().list().data().stream().map(m -> m.id()).toList();
        assertThat(ids).contains("chat-openai", "mock-chat");
    }

    @Test
    void models_retrieve_byNameOrAlias_unknownIsNotFound() {
        assertThat(client.models().retrieve("mock-chat").id()).isEqualTo("mock-chat");
        assertThatThrownBy(() -> client.models().retrieve("no-such-model"))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("no-such-model");
    }

    @Test
    void errors_surfaceAsTypedExceptions() {
        assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("no-such-model").addUserMessage("x").build()))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("no-such-model");
        assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("mock-chat").addUserMessage("x").temperature(9.0).build()))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("temperature");
    }

    @Test
    void upstreamRateLimit_surfacesAsRateLimitException() {
        var faults = new MockConfig.Faults(0, List.of(500), 1, Duration.ofSeconds(2), 0, 0, 0, 0, 2);
        try (var g = new Fixture(MockConfig.DEFAULT.withFaults(faults), "", "")) {
            var c = OpenAIOkHttpClient.builder().baseUrl(g.base() + "/v1").apiKey("k").maxRetries(0).build();
            assertThatThrownBy(() -> c.chat().completions().create(ChatCompletionCreateParams.builder()
                    .model("chat-openai").addUserMessage("x").build())).isInstanceOf(RateLimitException.class);
        }
    }

    @Test
    void midStreamFailure_surfacesAsSdkError() {
        var faults = new MockConfig.Faults(0, List.of(500), 0, Duration.ofSeconds(1), 0, 0, 0, 1, 2);
        try (var g = new Fixture(MockConfig.DEFAULT.withFaults(faults), "", "")) {
            var c = OpenAIOkHttpClient.builder().baseUrl(g.base() + "/v1").apiKey("k").maxRetries(0).build();
            assertThatThrownBy(() -> {
                try (var s = c.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
                        .model("chat-openai").addUserMessage("x").build())) {
                    s.stream().forEach(chunk -> { });
                }
            }).isInstanceOf(SseException.class);
        }
    }
}
