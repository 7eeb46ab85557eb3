package dev.arbiter.mock;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code arbiter mock-upstream} cannot be made to build an unbounded answer: each multiplier is refused or capped. */
class MockLimitsTest {
    static MockHttp http;

    @BeforeAll
    static void start() {
        // the largest answers the config allows: 100,000 tokens a choice
        http = new MockHttp(new MockConfig(MockConfig.Latency.NONE, Duration.ZERO, 0, 100_000, 64, MockConfig.Faults.NONE, 42));
    }

    @AfterAll
    static void stop() {
        http.close();
    }

    private static String chat(String extra) {
        return "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]" + extra + "}";
    }

    private static void refused(String path, String body, String param) {
        var r = http.post(path, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(MockHttp.json(r.body()).at("/error/message").asText()).startsWith(param + ":");
    }

    @Test
    void chat_nBeyond128OrBelow1OrNotAnInt_400NamingN() {
        refused(MockUpstream.CHAT, chat(",\"n\":1000000"), "n");
        refused(MockUpstream.CHAT, chat(",\"n\":129"), "n");
        refused(MockUpstream.CHAT, chat(",\"n\":0"), "n");
        refused(MockUpstream.CHAT, chat(",\"n\":10000000000"), "n");
        refused(MockUpstream.CHAT, chat(",\"n\":1000000,\"stream\":true"), "n");
    }

    @Test
    void chat_128ChoicesWithNoMaxTokens_eachCappedSoTheAnswerStaysBounded() {
        JsonNode a = http.ok(MockUpstream.CHAT, chat(",\"n\":128"));
        assertThat(a.get("choices")).hasSize(128);
        int perChoice = MockLimits.MAX_ANSWER_TOKENS / 128;
        assertThat(a.at("/usage/completion_tokens").asInt()).isEqualTo(128 * perChoice);
        assertThat(a.at("/choices/0/finish_reason").asText()).isEqualTo("length");
    }

    @Test
    void chat_hugeMaxTokens_answerCappedAtTheConfiguredLength() {
        JsonNode a = http.ok(MockUpstream.CHAT, chat(",\"max_tokens\":2000000000"));
        assertThat(a.at("/usage/completion_tokens").asInt()).isEqualTo(100_000);
    }

    @Test
    void completions_promptsTimesNBeyond2048_400() {
        String prompts = "[" + String.join(",", java.util.Collections.nCopies(100, "\"p\"")) + "]";
        refused(MockUpstream.COMPLETIONS, "{\"model\":\"m\",\"prompt\":" + prompts + ",\"n\":21}", "prompt");
        refused(MockUpstream.COMPLETIONS, "{\"model\":\"m\",\"prompt\":\"p\",\"n\":500}", "n");
        JsonNode a = http.ok(MockUpstream.COMPLETIONS, "{\"model\":\"m\",\"prompt\":" + prompts + ",\"n\":20}");
        assertThat(a.get("choices")).hasSize(2000);
        assertThat(a.at("/usage/completion_tokens").asLong()).isLessThanOrEqualTo(MockLimits.MAX_ANSWER_TOKENS);
    }

    @Test
    void embeddings_moreThan2048InputsOrTooManyNumbers_400() {
        String inputs = "[" + String.join(",", java.util.Collections.nCopies(2049, "\"x\"")) + "]";
        refused(MockUpstream.EMBEDDINGS, "{\"model\":\"m\",\"input\":" + inputs + "}", "input");
        String many = "[" + String.join(",", java.util.Collections.nCopies(2048, "\"x\"")) + "]";
        refused(MockUpstream.EMBEDDINGS, "{\"model\":\"m\",\"input\":" + many + ",\"dimensions\":4096}", "dimensions");
        assertThat(http.ok(MockUpstream.EMBEDDINGS, "{\"model\":\"m\",\"input\":" + many + ",\"dimensions\":2048}")
                .get("data")).hasSize(2048);
    }

    @Test
    void engine_promptOfNChoicesWithoutMax_tokensOfAllChoicesWithinTheCap() {
        var engine = new MockEngine(new MockConfig(MockConfig.Latency.NONE, Duration.ZERO, 0, 100_000, 64,
                MockConfig.Faults.NONE, 42));
        MockAnswer a = engine.answer(new MockEngine.Prompt("hi", List.of(), true, null, false, Integer.MAX_VALUE, 100));
        assertThat(a.outputTokens()).isLessThanOrEqualTo(MockLimits.MAX_ANSWER_TOKENS);
        assertThat(a.alternatives()).hasSize(100);
    }
}
