package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arbiter.wire.Json;
import java.util.Collections;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The fields that multiply an answer or a batch are bounded as OpenAI bounds them, before any backend sees the
 * request: {@code {"model":"mock-chat","n":1000000}} once ran the embedded mock out of memory.
 */
class AnswerBoundsTest {
    static Fixture f;

    @BeforeAll
    static void start() {
        f = new Fixture();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],%s}";

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "mock-chat   | \"n\":1000000         | n            | integer_above_max_value",
            "mock-chat   | \"n\":129             | n            | integer_above_max_value",
            "chat-openai | \"n\":1000000         | n            | integer_above_max_value",
            "mock-chat   | \"n\":0               | n            | integer_below_min_value",
            "mock-chat   | \"n\":1e9             | n            | invalid_type",
            "mock-chat   | \"n\":99999999999999  | n            | integer_above_max_value",
            "mock-chat   | \"top_logprobs\":21   | top_logprobs | integer_above_max_value",
            "mock-chat   | \"logprobs\":5        | logprobs     | invalid_type"})
    void chat_multiplierOutOfBounds_400NamingIt_nothingSentUpstream(String model, String field, String param, String code) {
        long before = f.upstream.stats().totalRequests();
        JsonNode err = BadInputTest.openAiError(f.post("/v1/chat/completions", CHAT.formatted(model, field)), 400);
        assertThat(err.get("param").asText()).isEqualTo(param);
        assertThat(err.get("code").asText()).isEqualTo(code);
        assertThat(err.get("message").asText()).contains("'" + param + "'");
        assertThat(f.upstream.stats().totalRequests()).isEqualTo(before);
    }

    @Test
    void chat_nAtTheBound_answersEveryChoice() {
        var r = f.post("/v1/chat/completions", CHAT.formatted("mock-chat", "\"n\":128,\"top_logprobs\":20"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(Json.parse(r.body()).get("choices")).hasSize(128);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "\"prompt\":\"p\",\"n\":129         | n        | integer_above_max_value",
            "\"prompt\":\"p\",\"best_of\":21    | best_of  | integer_above_max_value",
            "\"prompt\":\"p\",\"logprobs\":21   | logprobs | integer_above_max_value",
            "\"prompt\":\"p\",\"logprobs\":-1   | logprobs | integer_below_min_value"})
    void completions_multiplierOutOfBounds_400NamingIt(String fields, String param, String code) {
        JsonNode err = BadInputTest.openAiError(f.post("/v1/completions", "{\"model\":\"mock-chat\"," + fields + "}"), 400);
        assertThat(err.get("param").asText()).isEqualTo(param);
        assertThat(err.get("code").asText()).isEqualTo(code);
    }

    @Test
    void completions_moreThan2048Prompts_400_andNTimesPromptsBoundedByTheMock() {
        String prompts = "[" + String.join(",", Collections.nCopies(2049, "\"p\"")) + "]";
        JsonNode err = BadInputTest.openAiError(f.post("/v1/completions", "{\"model\":\"mock-chat\",\"prompt\":" + prompts + "}"), 400);
        assertThat(err.get("code").asText()).isEqualTo("array_above_max_length");
        String many = "[" + String.join(",", Collections.nCopies(2048, "\"p\"")) + "]";
        JsonNode mock = BadInputTest.openAiError(f.post("/v1/completions",
                "{\"model\":\"mock-chat\",\"prompt\":" + many + ",\"n\":128}"), 400);
        assertThat(mock.get("param").asText()).isEqualTo("prompt");
    }

    @Test
    void embeddings_moreThan2048Inputs_400_butOneLongTokenArrayIsOneInput() {
        String inputs = "[" + String.join(",", Collections.nCopies(2049, "\"x\"")) + "]";
        JsonNode err = BadInputTest.openAiError(f.post("/v1/embeddings", "{\"model\":\"mock-embedding\",\"input\":" + inputs + "}"), 400);
        assertThat(err.get("param").asText()).isEqualTo("input");
        assertThat(err.get("code").asText()).isEqualTo("array_above_max_length");
        String tokens = "[" + String.join(",", Collections.nCopies(3000, "17")) + "]";
        var r = f.post("/v1/embeddings", "{\"model\":\"mock-embedding\",\"input\":" + tokens + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(Json.parse(r.body()).get("data")).hasSize(1);
    }

    @Test
    void embeddings_inProcessMock_tooManyNumbers_400NamingDimensions() {
        String many = "[" + String.join(",", Collections.nCopies(2048, "\"x\"")) + "]";
        JsonNode err = BadInputTest.openAiError(f.post("/v1/embeddings",
                "{\"model\":\"mock-embedding\",\"input\":" + many + ",\"dimensions\":8192}"), 400);
        assertThat(err.get("param").asText()).isEqualTo("dimensions");
    }

    @Test
    void responses_topLogprobsOutOfBounds_400() {
        JsonNode err = BadInputTest.openAiError(f.post("/v1/responses",
                "{\"model\":\"mock-chat\",\"input\":\"hi\",\"top_logprobs\":21}"), 400);
        assertThat(err.get("param").asText()).isEqualTo("top_logprobs");
    }

    @Test
    void messagesWithAnN_mockAnswersOneMessage() {
        var r = f.post("/v1/messages", "{\"model\":\"mock-chat\",\"max_tokens\":2000000000,\"n\":1000000,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", Map.of("anthropic-version", "2023-06-01"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(Json.parse(r.body()).get("type").asText()).isEqualTo("message");
    }
}
