package dev.arbiter.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.llm.Choice;
import dev.arbiter.llm.FinishReason;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.SseEvent;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.Usage;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.pipeline.ServedBy;
import dev.arbiter.wire.Json;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnswerCodecTest {
    static CachedAnswer answer(CachedAnswer.Body body) {
        return new CachedAnswer(body, new ServedBy("m", "d", "openai"), "caller", "m", 0.25, 123, 1000, 2000);
    }

    static LlmResponse response() {
        var parts = List.<Part>of(new Part.Reasoning("thinking", "sig-1", null, false, null, null, null),
                Part.Text.of("Hello, world: a fairly long answer that is split into several pieces when streamed."),
                new Part.ToolCall("call_1", "weather", "{\"city\":\"Paris\"}", null));
        return new LlmResponse("id-1", "m", 7, List.of(new Choice(0, new Message(Role.ASSISTANT, parts, null, null),
                FinishReason.TOOL_CALLS, null, null)), new Usage(10, 20, 2, 0, 5, false), WireFormat.ANTHROPIC_MESSAGES,
                Json.object().put("id", "id-1").put("unmodelled", true));
    }

    @Test
    void whole_roundTrips() {
        var a = answer(new CachedAnswer.Whole(response()));
        byte[] bytes = AnswerCodec.encode(a);
        var back = AnswerCodec.decode(bytes).orElseThrow();
        assertThat(back.servedBy()).isEqualTo(a.servedBy());
        assertThat(back.costUsd()).isEqualTo(0.25);
        var r = ((CachedAnswer.Whole) back.body()).response();
        assertThat(r.choices()).isEqualTo(response().choices());
        assertThat(r.usage()).isEqualTo(response().usage());
        assertThat(r.raw()).isEqualTo(response().raw());
        assertThat(r.format()).isEqualTo(WireFormat.ANTHROPIC_MESSAGES);
    }

    @Test
    void otherVersionOrGarbage_isAMiss() {
        byte[] bytes = AnswerCodec.encode(answer(new CachedAnswer.Whole(response())));
        bytes[0] = 99;
        assertThat(AnswerCodec.decode(bytes)).isEmpty();
        assertThat(AnswerCodec.decode(new byte[] {AnswerCodec.VERSION, 1, 2, 3})).isEmpty();
    }

    @Test
    void stream_roundTrips_compressed_andAssemblesIntoTheSameAnswer() {
        List<Frame> frames = Replay.frames(response());
        var withRaw = new ArrayList<Frame>();
        for (Frame f : frames) withRaw.add(new Frame(f.format(), SseEvent.named("content_block_delta", "{\"type\":\"content_block_delta\",\"x\":1}"), f.events()));
        var a = answer(new CachedAnswer.Recorded(WireFormat.ANTHROPIC_MESSAGES, withRaw));
        byte[] bytes = AnswerCodec.encode(a);
        var back = (CachedAnswer.Recorded) AnswerCodec.decode(bytes).orElseThrow().body();
        assertThat(back.frames()).isEqualTo(withRaw);
        assertThat(Json.bytes(Json.MAPPER.valueToTree(withRaw)).length).as("deflated").isGreaterThan(bytes.length * 2);

        LlmResponse assembled = Replay.assemble(back, 7);
        var parts = assembled.firstMessage().parts();
        assertThat(parts).hasSize(3);
        assertThat(((Part.Reasoning) parts.get(0)).signature()).isEqualTo("sig-1");
        assertThat(((Part.Text) parts.get(1)).text()).isEqualTo(((Part.Text) response().firstMessage().parts().get(1)).text());
        assertThat(parts.get(2)).isEqualTo(response().firstMessage().parts().get(2));
        assertThat(assembled.choices().getFirst().finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
        assertThat(assembled.usage()).isEqualTo(response().usage());
        assertThat(frames.stream().filter(f -> f.events().getFirst() instanceof StreamEvent.TextDelta).count())
                .as("text streamed in pieces").isGreaterThan(1);
    }
}
