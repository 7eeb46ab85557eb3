package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.BadRequestException;
import com.anthropic.errors.NotFoundException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.ThinkingBlock;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The official Anthropic Java SDK drives Arbiter's Messages surface the way Claude Code does: a tool loop,
 * streamed (accumulated by the SDK's own {@link MessageAccumulator}) and not, extended thinking whose blocks go
 * back through the SDK's own serialization ({@code Message.toParam()}), count_tokens, and typed errors, in front
 * of both an Anthropic and an OpenAI backend.
 */
class AnthropicSdkAgentTest {
    static Fixture f;
    static AnthropicClient client;

    static final Tool WEATHER = Tool.builder().name("get_weather").description("Weather in a city")
            .inputSchema(Tool.InputSchema.builder()
                    .properties(Tool.InputSchema.Properties.builder()
                            .putAdditionalProperty("city", JsonValue.from(Map.of("type", "string"))).build())
                    .required(List.of("city")).build())
            .build();

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

    static Stream<Arguments> backendsTimesStream() {
        var out = new ArrayList<Arguments>();
        for (String model : List.of("chat-anthropic", "chat-openai")) {
            for (boolean stream : List.of(false, true)) out.add(Arguments.of(model, stream));
        }
        return out.stream();
    }

    /** One turn, streamed and accumulated by the SDK, or not. */
    static Message send(MessageCreateParams params, boolean stream) {
        if (!stream) return client.messages().create(params);
        MessageAccumulator acc = MessageAccumulator.create();
        boolean stopped;
        try (StreamResponse<RawMessageStreamEvent> s = client.messages().createStreaming(params)) {
            stopped = s.stream().peek(acc::accumulate).anyMatch(RawMessageStreamEvent::isMessageStop);
        }
        assertThat(stopped).as("message_stop arrived").isTrue();
        return acc.message();
    }

    static String text(Message m) {
        var sb = new StringBuilder();
        for (ContentBlock b : m.content()) b.text().ifPresent(t -> sb.append(t.text()));
        return sb.toString();
    }

    static ToolUseBlock toolUse(Message m) {
        return m.content().stream().filter(ContentBlock::isToolUse).map(ContentBlock::asToolUse).findFirst()
                .orElseThrow(() -> new AssertionError("no tool_use in " + m.content()));
    }

    static ContentBlockParam toolResult(ToolUseBlock use, String content) {
        return ContentBlockParam.ofToolResult(ToolResultBlockParam.builder().toolUseId(use.id()).content(content).build());
    }

    @ParameterizedTest(name = "{0} stream={1}")
    @MethodSource("backendsTimesStream")
    void tools_eachBackend_toolUseWithInputThenToolResultGivesText(String model, boolean stream) {
        var first = send(MessageCreateParams.builder().model(model).maxTokens(256)
                .addUserMessage("What is the weather in Paris?").addTool(WEATHER).build(), stream);
        assertThat(first.stopReason()).hasValue(StopReason.TOOL_USE);
        ToolUseBlock use = toolUse(first);
        assertThat(use.name()).isEqualTo("get_weather");
        assertThat(use.id()).isNotBlank();
        Map<?, ?> input = use._input().convert(Map.class);
        assertThat(input.get("city")).as("tool input " + input).isInstanceOf(String.class);
        assertThat((String) input.get("city")).isNotBlank();

        var second = send(MessageCreateParams.builder().model(model).maxTokens(256)
                .addUserMessage("What is the weather in Paris?")
                .addMessage(first)
                .addUserMessageOfContentBlockParams(List.of(toolResult(use, "sunny, 21C")))
                .addTool(WEATHER).build(), stream);
        assertThat(second.stopReason()).hasValue(StopReason.END_TURN);
        assertThat(second.content()).noneMatch(ContentBlock::isToolUse);
        assertThat(text(second)).isNotBlank();
        assertThat(second.usage().inputTokens()).isPositive();
        assertThat(f.upstream.stats().lastBody()).contains("sunny, 21C");
    }

    @ParameterizedTest(name = "{0} stream={1}")
    @MethodSource("backendsTimesStream")
    void thinking_eachBackend_signedThinkingFirst_echoWithToolResultAccepted(String model, boolean stream) {
        var first = send(MessageCreateParams.builder().model(model).maxTokens(4096).enabledThinking(1024)
                .addUserMessage("What is the weather in Paris?").addTool(WEATHER).build(), stream);
        assertThat(first.content().getFirst().isThinking()).as(first.content().toString()).isTrue();
        ThinkingBlock thinking = first.content().getFirst().asThinking();
        assertThat(thinking.signature()).isNotBlank();
        assertThat(thinking.thinking()).isNotBlank();
        ToolUseBlock use = toolUse(first);

        // second turn: the SDK serializes the whole assistant message (thinking + tool_use) back, then the result
        var second = send(MessageCreateParams.builder().model(model).maxTokens(4096).enabledThinking(1024)
                .addUserMessage("What is the weather in Paris?")
                .addMessage(first)
                .addUserMessageOfContentBlockParams(List.of(toolResult(use, "sunny")))
                .addTool(WEATHER).build(), stream);
        assertThat(second.content()).noneMatch(ContentBlock::isToolUse);
        assertThat(text(second)).isNotBlank();
        assertThat(f.upstream.stats().lastBody()).doesNotContain("arb1.");
    }

    @Test
    void thinking_tamperedSignature_notForwardedAsGenuine() {
        var first = client.messages().create(MessageCreateParams.builder().model("chat-anthropic").maxTokens(4096)
                .enabledThinking(1024).addUserMessage("What is the weather in Paris?").addTool(WEATHER).build());
        ThinkingBlock thinking = first.content().getFirst().asThinking();
        String sig = thinking.signature();
        var forged = ContentBlockParam.ofThinking(thinking.toParam().toBuilder()
                .signature(sig.substring(0, sig.length() - 4) + (sig.endsWith("AAAA") ? "BBBB" : "AAAA")).build());
        var blocks = new ArrayList<ContentBlockParam>();
        blocks.add(forged);
        blocks.add(ContentBlockParam.ofToolUse(toolUse(first).toParam()));
        assertThatThrownBy(() -> client.messages().create(MessageCreateParams.builder().model("chat-anthropic")
                .maxTokens(4096).enabledThinking(1024).addUserMessage("What is the weather in Paris?")
                .addAssistantMessageOfContentBlockParams(blocks)
                .addUserMessageOfContentBlockParams(List.of(toolResult(toolUse(first), "sunny")))
                .addTool(WEATHER).build())).isInstanceOf(BadRequestException.class).hasMessageContaining("signature");
    }

    @ParameterizedTest
    @ValueSource(strings = {"chat-anthropic", "chat-openai"})
    void countTokens_eachBackend_positive_moreWithSystemAndTools(String model) {
        long plain = client.messages().countTokens(MessageCountTokensParams.builder().model(model)
                .addUserMessage("hello there").build()).inputTokens();
        assertThat(plain).isPositive();
        long withSystem = client.messages().countTokens(MessageCountTokensParams.builder().model(model)
                .system("You are a careful assistant who answers in French.").addUserMessage("hello there").build())
                .inputTokens();
        assertThat(withSystem).isGreaterThan(plain);
        long withBoth = client.messages().countTokens(MessageCountTokensParams.builder().model(model)
                .system("You are a careful assistant who answers in French.").addUserMessage("hello there")
                .addTool(WEATHER).build()).inputTokens();
        assertThat(withBoth).isGreaterThan(withSystem);
    }

    @Test
    void create_unknownModel_notFoundException() {
        assertThatThrownBy(() -> client.messages().create(MessageCreateParams.builder().model("no-such-model")
                .maxTokens(16).addUserMessage("x").build()))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("no-such-model");
    }

    @ParameterizedTest
    @ValueSource(strings = {"chat-anthropic", "chat-openai", "mock-chat"})
    void create_invalidTemperature_badRequestException(String model) {
        // anthropic-java 3.x has no temperature setter any more; an additional body property is how it sends one
        long before = f.upstream.stats().totalRequests();
        assertThatThrownBy(() -> client.messages().create(MessageCreateParams.builder().model(model).maxTokens(16)
                .addUserMessage("x").putAdditionalBodyProperty("temperature", JsonValue.from(9.0)).build()))
                .isInstanceOf(BadRequestException.class).hasMessageContaining("temperature");
        assertThat(f.upstream.stats().totalRequests()).as("rejected before any upstream call").isEqualTo(before);
    }
}
