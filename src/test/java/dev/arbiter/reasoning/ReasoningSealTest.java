package dev.arbiter.reasoning;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.wire.Json;
import dev.arbiter.llm.Choice;
import dev.arbiter.llm.FinishReason;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.FrameStream;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.WireFormat;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReasoningSealTest {
    private static final ReasoningEnvelope ENVELOPE = new ReasoningEnvelope("a-test-key-of-32-bytes-length!!!".getBytes());

    static LlmResponse answer(Part... parts) {
        return new LlmResponse("x", "m", 0, List.of(new Choice(0, new Message(Role.ASSISTANT, List.of(parts), null, null),
                FinishReason.TOOL_CALLS, null, null)), null, WireFormat.OPENAI_CHAT, null);
    }

    static LlmRequest echo(Part reasoning) {
        return LlmRequest.builder(Operation.CHAT, WireFormat.ANTHROPIC_MESSAGES).model("m").messages(List.of(
                Message.text(Role.USER, "q"),
                new Message(Role.ASSISTANT, List.of(reasoning, new Part.ToolCall("c", "f", "{}", null)), null, null))).build();
    }

    @Test
    void chatReasoning_sealedThenOpenedForSameBackend_rebuiltFromEnvelopeNotEchoedText() {
        var seal = new ReasoningSeal(ENVELOPE, WireFormat.OPENAI_CHAT, "deepseek-reasoner");
        var sealed = (Part.Reasoning) seal.seal(answer(new Part.Reasoning("secret chain", null, null, false, null, null, null)))
                .firstMessage().parts().getFirst();
        assertThat(sealed.signature()).startsWith("arb1.").isEqualTo(sealed.encrypted());
        // the client echoes the block with the text blanked (display: omitted) and the envelope intact
        var echoed = new Part.Reasoning("", sealed.signature(), null, false, null, null, null);
        var resolved = seal.resolve(echo(echoed)).messages().get(1).parts(Part.Reasoning.class);
        assertThat(resolved).singleElement().satisfies(r -> assertThat(r.text()).isEqualTo("secret chain"));
    }

    @Test
    void envelope_alteredOrForAnotherModel_dropped() {
        var seal = new ReasoningSeal(ENVELOPE, WireFormat.OPENAI_CHAT, "model-a");
        String token = ((Part.Reasoning) seal.seal(answer(new Part.Reasoning("t", null, null, false, null, null, null)))
                .firstMessage().parts().getFirst()).signature();
        String altered = token.substring(0, token.length() - 2) + (token.endsWith("A") ? "BB" : "AA");
        assertThat(seal.resolve(echo(new Part.Reasoning("t", altered, null, false, null, null, null)))
                .messages().get(1).parts(Part.Reasoning.class)).isEmpty();
        var other = new ReasoningSeal(ENVELOPE, WireFormat.OPENAI_CHAT, "model-b");
        assertThat(other.resolve(echo(new Part.Reasoning("t", token, null, false, null, null, null)))
                .messages().get(1).parts(Part.Reasoning.class)).isEmpty();
        var anthropic = new ReasoningSeal(ENVELOPE, WireFormat.ANTHROPIC_MESSAGES, "model-a");
        assertThat(anthropic.resolve(echo(new Part.Reasoning("t", token, null, false, null, null, null)))
                .messages().get(1).parts(Part.Reasoning.class)).isEmpty();
        assertThat(seal.resolve(echo(new Part.Reasoning("t", "native-anthropic-signature", null, false, null, null, null)))
                .messages().get(1).parts(Part.Reasoning.class)).isEmpty();
    }

    @Test
    void anthropicSignature_sealedKeepsNativeToken_unwrappedInPassThroughBody() {
        var seal = new ReasoningSeal(ENVELOPE, WireFormat.ANTHROPIC_MESSAGES, "claude");
        var sealed = (Part.Reasoning) seal.seal(answer(new Part.Reasoning("hmm", "SIG-native", null, false, null, null, null)))
                .firstMessage().parts().getFirst();
        ObjectNode body = (ObjectNode) Json.parse("""
                {"messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"","signature":"%s"},
                 {"type":"thinking","thinking":"x","signature":"arb1.forged.tag"},{"type":"tool_use","id":"t","name":"f","input":{}}]}]}"""
                .formatted(sealed.signature()));
        seal.unwrap(body);
        var blocks = body.at("/messages/0/content");
        assertThat(blocks).hasSize(2);
        assertThat(blocks.get(0).path("signature").asText()).isEqualTo("SIG-native");
        assertThat(blocks.get(1).path("type").asText()).isEqualTo("tool_use");
    }

    @Test
    void chatStream_getsAnEnvelopeInjectedWhenReasoningEnds() {
        var frames = List.of(
                Frame.of(WireFormat.OPENAI_CHAT, null, new StreamEvent.ReasoningDelta(0, "think ")),
                Frame.of(WireFormat.OPENAI_CHAT, null, new StreamEvent.ReasoningDelta(0, "hard")),
                Frame.of(WireFormat.OPENAI_CHAT, null, new StreamEvent.TextDelta(0, "answer")));
        Iterator<Frame> it = frames.iterator();
        FrameStream inner = new FrameStream() {
            public WireFormat format() { return WireFormat.OPENAI_CHAT; }
            public boolean hasNext() { return it.hasNext(); }
            public Frame next() { return it.next(); }
            public void close() { }
        };
        var seal = new ReasoningSeal(ENVELOPE, WireFormat.OPENAI_CHAT, "m");
        var events = new ArrayList<StreamEvent>();
        try (FrameStream s = seal.seal(inner)) {
            while (s.hasNext()) events.addAll(s.next().events());
        }
        assertThat(events).hasSize(4);
        var sig = (StreamEvent.ReasoningSignature) events.get(2);
        assertThat(ENVELOPE.open(sig.signature())).hasValueSatisfying(x -> assertThat(x.text()).isEqualTo("think hard"));
        assertThat(events.get(3)).isEqualTo(new StreamEvent.TextDelta(0, "answer"));
    }
}
