package dev.arbiter.wire;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Remembered counts are the tokenizer's own, for texts seen once, again, and too long to remember. */
class TokenCounterTest {
    @Test
    void count_textSeenAgain_sameAsTheTokenizer() {
        String text = "You are a concise assistant that answers questions about distributed systems. " + System.nanoTime();
        int first = TokenCounter.count(text);
        assertThat(first).isEqualTo(TokenCounter.tokenize(text)).isGreaterThan(10);
        assertThat(TokenCounter.count(new String(text.toCharArray()))).isEqualTo(first);   // an equal text, another instance
        assertThat(TokenCounter.count(text + " And one more sentence.")).isEqualTo(TokenCounter.tokenize(text + " And one more sentence."));
    }

    @Test
    void count_textOverTheMemoLimit_countedAsTheTokenizerCounts() {
        String text = "lorem ipsum dolor sit amet, ".repeat(TokenCounter.MEMO_CHARS / 16 / 28 + 1);
        assertThat(text.length()).isGreaterThan(TokenCounter.MEMO_CHARS / 16);
        assertThat(TokenCounter.count(text)).isEqualTo(TokenCounter.tokenize(text)).isGreaterThan(40_000);
    }

    @Test
    void count_emptyOrNull_zero() {
        assertThat(TokenCounter.count("")).isZero();
        assertThat(TokenCounter.count(null)).isZero();
    }
}
