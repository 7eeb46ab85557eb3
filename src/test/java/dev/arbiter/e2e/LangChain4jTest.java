package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.anthropic.AnthropicChatModel;
import dev.langchain4j.model.anthropic.AnthropicStreamingChatModel;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LangChain4j (1.19) as Arbiter's client, with its OpenAI and its Anthropic chat models, each against an OpenAI
 * chat upstream and an Anthropic upstream behind Arbiter (so two of the four cross formats): a plain answer, a
 * streamed one, and a tool round trip whose result must come back in the final answer.
 */
class LangChain4jTest {
    static Fixture f;

    static final ToolSpecification WEATHER = ToolSpecification.builder().name("get_weather").description("The weather in a city")
            .parameters(JsonObjectSchema.builder().addStringProperty("city").required("city").build())
            .build();

    @BeforeAll
    static void start() {
        f = new Fixture();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    /** {@code client:model}: the LangChain4j model class family, and the Arbiter model it asks for. */
    private static ChatModel model(String spec) {
        String model = spec.substring(spec.indexOf(':') + 1);
        if (spec.startsWith("openai:")) {
            return OpenAiChatModel.builder().baseUrl(f.base() + "/v1").apiKey("client-key").modelName(model)
                    .timeout(Duration.ofSeconds(30)).maxRetries(0).build();
        }
        return AnthropicChatModel.builder().baseUrl(f.base() + "/v1/").apiKey("client-key").modelName(model).maxTokens(200)
                .timeout(Duration.ofSeconds(30)).maxRetries(0).build();
    }

    private static StreamingChatModel streaming(String spec) {
        String model = spec.substring(spec.indexOf(':') + 1);
        if (spec.startsWith("openai:")) {
            return OpenAiStreamingChatModel.builder().baseUrl(f.base() + "/v1").apiKey("client-key").modelName(model)
                    .timeout(Duration.ofSeconds(30)).build();
        }
        return AnthropicStreamingChatModel.builder().baseUrl(f.base() + "/v1/").apiKey("client-key").modelName(model)
                .maxTokens(200).timeout(Duration.ofSeconds(30)).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai:chat-openai", "openai:chat-anthropic", "anthropic:chat-anthropic", "anthropic:chat-openai"})
    void chat_plainAndToolRoundTrip(String spec) {
        ChatModel model = model(spec);
        assertThat(model.chat("Answer: [[mock-say hello from arbiter]]")).isEqualTo("hello from arbiter");

        UserMessage user = UserMessage.from("What is the weather in Oslo? [[mock-tool get_weather {\"city\":\"Oslo\"}]]");
        AiMessage call = model.chat(ChatRequest.builder().messages(user).toolSpecifications(WEATHER).build()).aiMessage();
        assertThat(call.hasToolExecutionRequests()).as(call.toString()).isTrue();
        ToolExecutionRequest request = call.toolExecutionRequests().getFirst();
        assertThat(request.name()).isEqualTo("get_weather");
        assertThat(request.arguments()).contains("Oslo");

        String token = "sunny-" + UUID.randomUUID();
        ChatResponse answer = model.chat(ChatRequest.builder()
                .messages(user, call, ToolExecutionResultMessage.from(request, token)).toolSpecifications(WEATHER).build());
        assertThat(answer.aiMessage().text()).contains(token);
        assertThat(answer.tokenUsage().inputTokenCount()).isPositive();
    }

    @ParameterizedTest
    @ValueSource(strings = {"openai:chat-openai", "openai:chat-anthropic", "anthropic:chat-anthropic", "anthropic:chat-openai"})
    void streaming_partsAddUpToTheAnswer(String spec) throws Exception {
        var done = new CompletableFuture<ChatResponse>();
        var parts = new StringBuilder();
        streaming(spec).chat("Answer: [[mock-say streamed through arbiter, token by token]]", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String part) {
                parts.append(part);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(30, TimeUnit.SECONDS);
        assertThat(response.aiMessage().text()).isEqualTo("streamed through arbiter, token by token");
        assertThat(parts.toString()).isEqualTo(response.aiMessage().text());
        assertThat(response.tokenUsage().outputTokenCount()).isPositive();
    }
}
