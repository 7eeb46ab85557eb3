package dev.arbiter.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.wire.Json;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two gateways in one JVM keep their own reasoning keys: each opens the envelopes it sealed, and one that comes
 * back to the other gateway is dropped, never forwarded (there used to be one process-wide envelope, which the
 * second gateway to start replaced, invalidating the first one's).
 */
class TwoGatewaysTest {
    private static final Map<String, String> VERSION = Map.of("anthropic-version", "2023-06-01");

    /** A first turn on {@code g}: the assistant's blocks (thinking with its envelope, then tool_use). */
    private static ArrayNode firstTurn(Fixture g, String model, ArrayNode messages) {
        var first = g.post("/v1/messages", Json.string(ReasoningRoundTripTest.messagesTurn(model, messages, false)), VERSION);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        ArrayNode blocks = ReasoningRoundTripTest.assistantBlocks(first.body(), false);
        assertThat(blocks.get(0).path("signature").asText()).startsWith("arb1.");
        return blocks;
    }

    /** The conversation after {@code blocks}, with the tool's result. */
    private static ArrayNode echo(ArrayNode messages, ArrayNode blocks) {
        ArrayNode next = messages.deepCopy();
        next.addObject().put("role", "assistant").set("content", blocks);
        ObjectNode result = next.addObject().put("role", "user");
        result.putArray("content").addObject().put("type", "tool_result")
                .put("tool_use_id", blocks.get(blocks.size() - 1).path("id").asText()).put("content", "sunny");
        return next;
    }

    @Test
    void twoGatewaysInOneJvm_eachOpensItsOwnEnvelopes_andDropsTheOther() {
        String model = "chat-openai";   // chat reasoning has no native token: only the envelope brings it back
        try (var a = new Fixture(); var b = new Fixture()) {
            ArrayNode messages = Json.array();
            messages.addObject().put("role", "user").put("content", "Weather in Paris?");
            ArrayNode fromA = firstTurn(a, model, messages);
            ArrayNode fromB = firstTurn(b, model, messages);

            for (var own : new Object[][] {{a, fromA}, {b, fromB}}) {
                Fixture g = (Fixture) own[0];
                var second = g.post("/v1/messages", Json.string(ReasoningRoundTripTest.messagesTurn(model,
                        echo(messages, (ArrayNode) own[1]), false)), VERSION);
                assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
                JsonNode sent = Json.parse(g.upstream.stats().lastBody());
                assertThat(ReasoningRoundTripTest.nativeReasoning(model, sent)).as("its own reasoning, opened").isNotBlank();
            }

            // A's envelope sent to B: B cannot open it, so its upstream never sees it, as text or as a token
            b.post("/v1/messages", Json.string(ReasoningRoundTripTest.messagesTurn(model, echo(messages, fromA), false)), VERSION);
            String sent = b.upstream.stats().lastBody();
            assertThat(sent).doesNotContain("arb1.");
            assertThat(ReasoningRoundTripTest.nativeReasoning(model, Json.parse(sent))).as("A's reasoning at B's upstream").isBlank();
        }
    }
}
