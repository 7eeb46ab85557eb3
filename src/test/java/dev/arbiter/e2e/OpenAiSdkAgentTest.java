package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.ObjectMappers;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.Reasoning;
import com.openai.models.ReasoningEffort;
import com.openai.models.responses.EasyInputMessage;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseIncludable;
import com.openai.models.responses.ResponseInputItem;
import com.openai.models.responses.ResponseItem;
import com.openai.models.responses.ResponseOutputItem;
import com.openai.models.responses.ResponseOutputMessage;
import com.openai.models.responses.ResponseReasoningItem;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.inputitems.InputItemListParams;
import dev.arbiter.wire.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The official OpenAI Java SDK drives Arbiter's Responses surface the way an agent (Codex and the like) does:
 * plain and streamed turns, a function-tool loop with the SDK's own item types, stored conversations continued by
 * {@code previous_response_id} or by {@code item_reference}s to stored items, retrieve / input_items / delete, and
 * reasoning with encrypted content.
 */
class OpenAiSdkAgentTest {
    static Fixture f;
    static OpenAIClient client;

    static final FunctionTool WEATHER = FunctionTool.builder().name("get_weather").description("Weather").strict(false)
            .parameters(FunctionTool.Parameters.builder()
                    .putAdditionalProperty("type", JsonValue.from("object"))
                    .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
                    .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                    .build())
            .build();

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

    /** The concatenated output_text of every message item, as the SDK parsed it. */
    static String text(List<ResponseOutputItem> output) {
        var sb = new StringBuilder();
        for (ResponseOutputItem item : output) {
            if (!item.isMessage()) continue;
            for (var c : item.asMessage().content()) c.outputText().ifPresent(t -> sb.append(t.text()));
        }
        return sb.toString();
    }

    static EasyInputMessage user(String text) {
        return EasyInputMessage.builder().role(EasyInputMessage.Role.USER).content(text).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"chat-openai", "chat-anthropic", "resp-openai", "mock-chat"})
    void create_eachBackend_returnsTextAndUsage(String model) {
        Response r = client.responses().create(ResponseCreateParams.builder().model(model).store(false)
                .instructions("be brief").input("Say hello").maxOutputTokens(64L).build());
        assertThat(r.id()).isNotBlank();
        assertThat(text(r.output())).isNotBlank();
        assertThat(r.usage()).hasValueSatisfying(u -> {
            assertThat(u.inputTokens()).isPositive();
            assertThat(u.outputTokens()).isPositive();
            assertThat(u.totalTokens()).isEqualTo(u.inputTokens() + u.outputTokens());
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"chat-openai", "chat-anthropic", "resp-openai", "mock-chat"})
    void createStreaming_eachBackend_createdFirstCompletedLastDeltasMatchFinalText(String model) {
        var events = new ArrayList<ResponseStreamEvent>();
        try (StreamResponse<ResponseStreamEvent> s = client.responses().createStreaming(ResponseCreateParams.builder()
                .model(model).store(false).input("Say hello").maxOutputTokens(64L).build())) {
            s.stream().forEach(events::add);
        }
        assertThat(events).hasSizeGreaterThan(2);
        assertThat(events.getFirst().isCreated()).as("first event " + events.getFirst()).isTrue();
        assertThat(events.getLast().isCompleted()).as("last event " + events.getLast()).isTrue();
        var deltas = new StringBuilder();
        long previous = -1;
        for (ResponseStreamEvent e : events) {
            e.outputTextDelta().ifPresent(d -> deltas.append(d.delta()));
            JsonNode json = ObjectMappers.jsonMapper().valueToTree(e);
            assertThat(json.has("sequence_number")).as("sequence_number in " + json).isTrue();
            long seq = json.get("sequence_number").asLong();
            assertThat(seq).as("sequence numbers strictly increase at " + json.path("type")).isGreaterThan(previous);
            previous = seq;
        }
        Response done = events.getLast().asCompleted().response();
        assertThat(deltas.toString()).isNotBlank().isEqualTo(text(done.output()));
        assertThat(done.usage()).hasValueSatisfying(u -> assertThat(u.outputTokens()).isPositive());
    }

    @ParameterizedTest
    @ValueSource(strings = {"chat-openai", "chat-anthropic"})
    void functionTool_roundTripWithSdkItems_callThenTextAnswer(String model) {
        Response first = client.responses().create(ResponseCreateParams.builder().model(model).store(false)
                .input("What is the weather in Paris?").addTool(WEATHER).build());
        ResponseFunctionToolCall call = first.output().stream().filter(ResponseOutputItem::isFunctionCall)
                .map(ResponseOutputItem::asFunctionCall).findFirst().orElseThrow(() -> new AssertionError(first.output()));
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(call.callId()).isNotBlank();
        assertThat(Json.parse(call.arguments()).path("city").isTextual()).as(call.arguments()).isTrue();
        assertThat(text(first.output())).isEmpty();

        Response second = client.responses().create(ResponseCreateParams.builder().model(model).store(false)
                .inputOfResponse(List.of(
                        ResponseInputItem.ofEasyInputMessage(user("What is the weather in Paris?")),
                        ResponseInputItem.ofFunctionCall(call),
                        ResponseInputItem.ofFunctionCallOutput(ResponseInputItem.FunctionCallOutput.builder()
                                .callId(call.callId()).output("sunny, 21C").build())))
                .addTool(WEATHER).build());
        assertThat(second.output()).noneMatch(ResponseOutputItem::isFunctionCall);
        assertThat(text(second.output())).isNotBlank();
        assertThat(f.upstream.stats().lastBody()).contains("sunny, 21C").contains(call.callId());
    }

    @Test
    void previousResponseId_storedTurn_historyExpandedUpstream() {
        Response first = client.responses().create(ResponseCreateParams.builder().model("chat-openai").store(true)
                .input("My locker code is Zanzibar-4711.").build());
        assertThat(first.id()).startsWith("resp_arb_");
        String firstAnswer = text(first.output());
        assertThat(firstAnswer).isNotBlank();

        Response second = client.responses().create(ResponseCreateParams.builder().model("chat-openai")
                .previousResponseId(first.id()).input("What is my locker code?").build());
        assertThat(text(second.output())).isNotBlank();
        JsonNode sent = Json.parse(f.upstream.stats().lastBody());
        var turns = new ArrayList<String>();
        for (JsonNode m : sent.path("messages")) {
            JsonNode c = m.path("content");
            var t = new StringBuilder(c.isTextual() ? c.asText() : "");
            for (JsonNode part : c.isArray() ? c : Json.array()) t.append(part.path("text").asText());
            turns.add(m.path("role").asText() + ": " + t);
        }
        assertThat(turns).as("upstream messages").containsSubsequence("user: My locker code is Zanzibar-4711.",
                "assistant: " + firstAnswer, "user: What is my locker code?");
    }

    /**
     * The Vercel AI SDK's Responses model, with {@code store} on (its default), sends its earlier answers back as
     * {@code item_reference}s; the backend must get the answer itself, between the turns it belongs to, whatever
     * backend answers the next turn (a Responses upstream never made Arbiter's ids either).
     */
    @ParameterizedTest
    @CsvSource({"chat-openai, chat-openai", "chat-anthropic, chat-anthropic", "chat-anthropic, resp-openai"})
    void itemReference_toStoredAnswer_upstreamGetsTheAnswerBetweenItsTurns(String firstModel, String nextModel) {
        Response first = client.responses().create(ResponseCreateParams.builder().model(firstModel)
                .input("My locker code is Zanzibar-4711.").build());
        ResponseOutputMessage answer = first.output().stream().filter(ResponseOutputItem::isMessage)
                .map(ResponseOutputItem::asMessage).findFirst().orElseThrow(() -> new AssertionError(first.output()));
        String answerText = text(first.output());
        assertThat(answerText).isNotBlank();

        Response next = client.responses().create(ResponseCreateParams.builder().model(nextModel)
                .inputOfResponse(List.of(
                        ResponseInputItem.ofEasyInputMessage(user("My locker code is Zanzibar-4711.")),
                        ResponseInputItem.ofItemReference(ResponseInputItem.ItemReference.builder().id(answer.id()).build()),
                        ResponseInputItem.ofEasyInputMessage(user("What is my locker code?")))).build());
        assertThat(text(next.output())).isNotBlank();
        String sent = f.upstream.stats().lastBody();
        assertThat(sent).as("upstream body").doesNotContain("item_reference")
                .containsSubsequence("Zanzibar-4711.", answerText, "What is my locker code?");
    }

    @Test
    void itemReference_unknownArbiterItem_notFoundException() {
        String id = "msg_arb" + "0".repeat(32) + "_0";
        assertThatThrownBy(() -> client.responses().create(ResponseCreateParams.builder().model("chat-openai")
                .inputOfResponse(List.of(ResponseInputItem.ofEasyInputMessage(user("hi")),
                        ResponseInputItem.ofItemReference(ResponseInputItem.ItemReference.builder().id(id).build())))
                .build())).isInstanceOf(NotFoundException.class).hasMessageContaining(id);
    }

    @Test
    void previousResponseId_continuation_responseEchoesSettingsAndListsItsInput() {
        Response first = client.responses().create(ResponseCreateParams.builder().model("mock-chat")
                .instructions("be brief").input("hi").build());
        assertThat(first.instructions()).hasValueSatisfying(i -> assertThat(i.asString()).isEqualTo("be brief"));
        Response second = client.responses().create(ResponseCreateParams.builder().model("mock-chat")
                .previousResponseId(first.id()).instructions("be brief").input("again").build());
        var soft = new SoftAssertions();
        soft.assertThat(second.previousResponseId()).as("previous_response_id").hasValue(first.id());
        soft.assertThat(second.instructions()).as("instructions").isPresent();
        soft.assertThat(client.responses().inputItems().list(second.id()).data()).as("input_items")
                .anySatisfy(item -> assertThat(item.toString()).contains("again"));
        soft.assertAll();
    }

    @Test
    void retrieveAndInputItems_storedResponse_sameIdOutputAndInput() {
        Response created = client.responses().create(ResponseCreateParams.builder().model("chat-anthropic")
                .input("Remember the word heliotrope.").build());
        Response got = client.responses().retrieve(created.id());
        assertThat(got.id()).isEqualTo(created.id());
        assertThat(got.output()).isEqualTo(created.output());
        assertThat(text(got.output())).isNotBlank().isEqualTo(text(created.output()));

        List<ResponseItem> items = client.responses().inputItems().list(created.id()).data();
        assertThat(items).singleElement().satisfies(item -> {
            assertThat(item.isResponseInputMessageItem()).as(item.toString()).isTrue();
            var msg = item.asResponseInputMessageItem();
            assertThat(msg.role().asString()).isEqualTo("user");
            assertThat(msg.content()).singleElement().satisfies(c ->
                    assertThat(c.asInputText().text()).isEqualTo("Remember the word heliotrope."));
        });
    }

    @Test
    void inputItems_pagedAsOpenAiPagesThem() {
        // created with the SDK client's own key: stored responses belong to the credential that made them
        var r = f.post("/v1/responses", """
                {"model":"mock-chat","input":[{"role":"user","content":"one"},{"role":"assistant","content":"two"},
                 {"role":"user","content":"three"}]}""", java.util.Map.of("authorization", "Bearer client-key"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        String id = Json.parse(r.body()).path("id").asText();
        // newest first by default, as OpenAI lists them
        assertThat(client.responses().inputItems().list(id).data()).hasSize(3).first()
                .satisfies(item -> assertThat(item.toString()).contains("three"));
        var firstPage = client.responses().inputItems().list(InputItemListParams.builder().responseId(id)
                .order(InputItemListParams.Order.ASC).limit(2).build());
        assertThat(firstPage.data()).hasSize(2);
        assertThat(firstPage.hasNextPage()).isTrue();
        var all = new ArrayList<String>();
        firstPage.autoPager().forEach(item -> all.add(item.toString()));
        assertThat(all).hasSize(3);
        assertThat(all.get(0)).contains("one");
        assertThat(all.get(2)).contains("three");
        for (String bad : new String[] {"limit=0", "limit=101", "limit=abc", "order=sideways", "after=no-such-item"}) {
            var e = f.send(java.net.http.HttpRequest.newBuilder(f.uri("/v1/responses/" + id + "/input_items?" + bad))
                    .header("authorization", "Bearer client-key").GET().build());
            assertThat(e.statusCode()).as(bad).isEqualTo(400);
            assertThat(Json.parse(e.body()).at("/error/param").asText()).isEqualTo(bad.substring(0, bad.indexOf('=')));
        }
    }

    @Test
    void delete_storedResponse_thenRetrieveAndContinueAreNotFound() {
        Response created = client.responses().create(ResponseCreateParams.builder().model("mock-chat").input("hi").build());
        assertThat(client.responses().retrieve(created.id()).id()).isEqualTo(created.id());
        client.responses().delete(created.id());
        assertThatThrownBy(() -> client.responses().retrieve(created.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> client.responses().inputItems().list(created.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> client.responses().create(ResponseCreateParams.builder().model("mock-chat")
                .previousResponseId(created.id()).input("again").build())).isInstanceOf(NotFoundException.class);
    }

    @Test
    void previousResponseId_unknown_notFoundException() {
        assertThatThrownBy(() -> client.responses().create(ResponseCreateParams.builder().model("chat-openai")
                .previousResponseId("resp_arb_doesnotexist").input("hi").build()))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("resp_arb_doesnotexist");
    }

    @Test
    void storeFalse_notRetrievable_notFoundException() {
        Response r = client.responses().create(ResponseCreateParams.builder().model("mock-chat").store(false).input("hi").build());
        assertThatThrownBy(() -> client.responses().retrieve(r.id())).isInstanceOf(NotFoundException.class);
    }

    @Test
    void reasoning_encryptedContentIncluded_reasoningItemFirstAndEchoAccepted() {
        var base = ResponseCreateParams.builder().model("chat-anthropic").store(false)
                .reasoning(Reasoning.builder().effort(ReasoningEffort.MEDIUM).build())
                .include(List.of(ResponseIncludable.REASONING_ENCRYPTED_CONTENT)).addTool(WEATHER);
        Response first = client.responses().create(base.input("What is the weather in Paris?").build());
        assertThat(first.output().getFirst().isReasoning()).as(first.output().toString()).isTrue();
        ResponseReasoningItem reasoning = first.output().getFirst().asReasoning();
        assertThat(reasoning.encryptedContent()).hasValueSatisfying(e -> assertThat(e).isNotBlank());
        ResponseFunctionToolCall call = first.output().getLast().asFunctionCall();

        // the SDK's own serialization of the reasoning item goes back; the strict mock verifies its signature
        Response second = client.responses().create(base.inputOfResponse(List.of(
                ResponseInputItem.ofEasyInputMessage(user("What is the weather in Paris?")),
                ResponseInputItem.ofReasoning(reasoning),
                ResponseInputItem.ofFunctionCall(call),
                ResponseInputItem.ofFunctionCallOutput(ResponseInputItem.FunctionCallOutput.builder()
                        .callId(call.callId()).output("sunny").build()))).build());
        assertThat(text(second.output())).isNotBlank();
        JsonNode sent = Json.parse(f.upstream.stats().lastBody());
        assertThat(sent.path("messages")).as("upstream got its signed thinking back before the tool_use")
                .anySatisfy(m -> {
                    assertThat(m.path("role").asText()).isEqualTo("assistant");
                    assertThat(m.at("/content/0/type").asText()).isEqualTo("thinking");
                    assertThat(m.at("/content/0/signature").asText()).isNotBlank().doesNotStartWith("arb1.");
                    assertThat(m.at("/content/1/type").asText()).isEqualTo("tool_use");
                });
    }
}
