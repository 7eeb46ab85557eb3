package dev.arbiter.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.cache.CacheKey;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.RequestKey;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.WireFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class SemanticContextTest {
    private static final RequestKey.Options EXACT = RequestKey.Options.EXACT;

    private static LlmRequest chat(String system, String... turns) {
        var messages = new java.util.ArrayList<Message>();
        messages.add(Message.text(Role.SYSTEM, system));
        for (int i = 0; i < turns.length; i++) messages.add(Message.text(i % 2 == 0 ? Role.USER : Role.ASSISTANT, turns[i]));
        return LlmRequest.builder(Operation.CHAT, WireFormat.OPENAI_CHAT).model("gpt").messages(messages).maxTokens(40).build();
    }

    private static CacheKey key(String scope, String model, LlmRequest r) {
        return new CacheKey(scope, model, RequestKey.of(r, scope));
    }

    private static SemanticContext context(String scope, String model, LlmRequest r) {
        return SemanticContext.of(r, key(scope, model, r), EXACT, "all-minilm-l6-v2-q").orElseThrow();
    }

    @Test
    void of_sameContext_samePartition_andOnlyTheFinalTurnIsThePrompt() {
        var a = context("alice", "gpt", chat("Be brief.", "Hi", "Hello!", "What is the capital of France?"));
        var b = context("alice", "gpt", chat("Be brief.", "Hi", "Hello!", "Which city is the capital of France?"));
        assertThat(a.partition()).isEqualTo(b.partition());
        assertThat(a.prompt()).isEqualTo("What is the capital of France?");
    }

    @Test
    void of_anythingButTheFinalTurnDiffers_otherPartition() {
        var base = context("alice", "gpt", chat("Be brief.", "Q")).partition();
        assertThat(context("bob", "gpt", chat("Be brief.", "Q")).partition()).as("caller").isNotEqualTo(base);
        assertThat(context("alice", "gpt-mini", chat("Be brief.", "Q")).partition()).as("model").isNotEqualTo(base);
        assertThat(context("alice", "gpt", chat("Be verbose.", "Q")).partition()).as("system").isNotEqualTo(base);
        assertThat(context("alice", "gpt", chat("Be brief.", "Hi", "Hello!", "Q")).partition()).as("earlier turns").isNotEqualTo(base);
        assertThat(context("alice", "gpt", chat("Be brief.", "Q").toBuilder().maxTokens(41).build()).partition()).as("parameters")
                .isNotEqualTo(base);
        var r = chat("Be brief.", "Q");
        assertThat(SemanticContext.of(r, key("alice", "gpt", r), EXACT, "another-embedder").orElseThrow().partition())
                .as("embedder").isNotEqualTo(base);
    }

    @Test
    void of_finalTurnNotUserText_none() {
        var r = chat("Be brief.", "Q", "A");
        assertThat(SemanticContext.of(r, key("alice", "gpt", r), EXACT, "e")).as("assistant last").isEmpty();
        var image = r.toBuilder().messages(List.of(new Message(Role.USER, List.of(new Part.Text("what is this?", null),
                new Part.Image("https://example.com/a.png", null, null, null, null)), null, null))).build();
        assertThat(SemanticContext.of(image, key("alice", "gpt", image), EXACT, "e")).as("image").isEmpty();
        var embedding = r.toBuilder().operation(Operation.EMBEDDING).build();
        assertThat(SemanticContext.of(embedding, key("alice", "gpt", embedding), EXACT, "e")).isEmpty();
    }
}
