package dev.arbiter.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.wire.Json;
import org.junit.jupiter.api.Test;

/** Which requests ask for a sample, and so are not shared unless the model or the client says so. */
class SingleFlightStageTest {
    private static LlmRequest chat(Double temperature, boolean seed) {
        var extra = Json.object();
        if (seed) extra.put("seed", 7);
        return LlmRequest.builder(Operation.CHAT, WireFormat.OPENAI_CHAT).model("m").temperature(temperature).extra(extra).build();
    }

    @Test
    void sampled_withoutTemperatureOrAboveZero_unlessSeeded() {
        assertThat(SingleFlightStage.sampled(chat(null, false))).isTrue();
        assertThat(SingleFlightStage.sampled(chat(0.7, false))).isTrue();
        assertThat(SingleFlightStage.sampled(chat(0.0, false))).isFalse();
        assertThat(SingleFlightStage.sampled(chat(0.7, true))).isFalse();
        assertThat(SingleFlightStage.sampled(chat(null, true))).isFalse();
    }
}
