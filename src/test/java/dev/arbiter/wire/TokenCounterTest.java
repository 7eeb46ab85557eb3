package dev.arbiter.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.WireFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Remembered counts are the tokenizer's own, for texts seen once, again, and too long to remember; and per caller. */
class TokenCounterTest {
    @Test
    void count_textSeenAgain_sameAsTheTokenizer() {
        String text = "You are a concise assistant that answers questions about distributed systems. " + System.nanoTime();
        int first = TokenCounter.count("caller-a", text);
        assertThat(first).isEqualTo(TokenCounter.tokenize(text)).isGreaterThan(10);
        assertThat(TokenCounter.remembered("caller-a", text)).isTrue();
        assertThat(TokenCounter.count("caller-a", new String(text.toCharArray()))).isEqualTo(first);   // an equal text, another instance
        assertThat(TokenCounter.count("caller-a", text + " And one more sentence.")).isEqualTo(TokenCounter.tokenize(text + " And one more sentence."));
    }

    @Test
    void count_rememberedForOneCaller_isNotAnotherCallersHit() {
        String text = "a system prompt only caller-a has sent " + System.nanoTime();
        TokenCounter.count("caller-a", text);
        assertThat(TokenCounter.remembered("caller-a", text)).isTrue();
        assertThat(TokenCounter.remembered("caller-b", text)).isFalse();
        assertThat(TokenCounter.count("caller-b", text)).isEqualTo(TokenCounter.tokenize(text));
        assertThat(TokenCounter.remembered("caller-b", text)).isTrue();
    }

    @Test
    void countInput_withoutScope_remembersNothing() {
        String text = "an unscoped count " + System.nanoTime();
        var req = LlmRequest.builder(Operation.CHAT, WireFormat.OPENAI_CHAT).model("m").messages(List.of(Message.text(Role.USER, text))).build();
        assertThat(TokenCounter.countInput(req)).isEqualTo(TokenCounter.countInput(req, "caller-c")).isGreaterThan(7);
        assertThat(TokenCounter.remembered("caller-c", text)).isTrue();
        assertThat(TokenCounter.count(text)).isEqualTo(TokenCounter.tokenize(text));
    }

    @Test
    void count_textOverTheMemoLimit_countedAsTheTokenizerCounts() {
        String text = "lorem ipsum dolor sit amet, ".repeat(TokenCounter.MEMO_CHARS / 16 / 28 + 1);
        assertThat(text.length()).isGreaterThan(TokenCounter.MEMO_CHARS / 16);
        assertThat(TokenCounter.count("caller-a", text)).isEqualTo(TokenCounter.tokenize(text)).isGreaterThan(40_000);
        assertThat(TokenCounter.remembered("caller-a", text)).isFalse();
    }

    @Test
    void count_emptyOrNull_zero() {
        assertThat(TokenCounter.count("")).isZero();
        assertThat(TokenCounter.count(null)).isZero();
        assertThat(TokenCounter.count("caller-a", null)).isZero();
    }
}
