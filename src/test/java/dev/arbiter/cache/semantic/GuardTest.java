package dev.arbiter.cache.semantic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class GuardTest {
    @Test
    void numbers_differentAmounts_differ() {
        assertThat(Guard.NUMBERS.differ("Convert 5 km to miles", "Convert 8 km to miles")).isTrue();
        assertThat(Guard.NUMBERS.differ("What is 2.50 plus 1,000?", "what is 1000 plus 2.5")).isFalse();
        assertThat(Guard.NUMBERS.differ("List three fruits", "List 3 fruits")).isFalse();
        assertThat(Guard.NUMBERS.differ("List three fruits", "List four fruits")).isTrue();
        assertThat(Guard.NUMBERS.differ("Hello there", "Hi there")).isFalse();
    }

    @Test
    void negations_oneSideNegated_differ() {
        assertThat(Guard.NEGATIONS.differ("Is it safe to eat raw eggs?", "Is it not safe to eat raw eggs?")).isTrue();
        assertThat(Guard.NEGATIONS.differ("Why doesn't my code compile?", "Why does my code not compile?")).isFalse();
        assertThat(Guard.NEGATIONS.differ("I never liked it", "I always liked it")).isTrue();
        assertThat(Guard.NEGATIONS.differ("Explain closures", "Describe closures")).isFalse();
    }

    @Test
    void entities_differentNames_differ() {
        assertThat(Guard.ENTITIES.differ("What is the capital of France?", "What is the capital of Spain?")).isTrue();
        assertThat(Guard.ENTITIES.differ("Who founded Microsoft?", "Who was the founder of microsoft?")).isFalse();
        // a sentence's first word and the pronoun I are not names
        assertThat(Guard.ENTITIES.differ("Tell me a joke. Please make it short", "Please tell me a joke. Make it short")).isFalse();
        assertThat(Guard.ENTITIES.differ("Can I use Python here?", "Could I use Python here?")).isFalse();
    }

    @Test
    void vetoes_listsOnlyTheGuardsAskedFor() {
        String a = "How far is Paris from 3 cities?", b = "How far is Rome from 4 cities?";
        assertThat(Guard.vetoes(EnumSet.allOf(Guard.class), a, b)).containsExactly(Guard.NUMBERS, Guard.ENTITIES);
        assertThat(Guard.vetoes(EnumSet.of(Guard.NEGATIONS), a, b)).isEmpty();
        assertThat(Guard.named("numbers")).isEqualTo(Guard.NUMBERS);
        assertThat(Guard.named("Numbers")).isNull();
    }
}
