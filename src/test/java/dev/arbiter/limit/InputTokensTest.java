package dev.arbiter.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.Usage;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.pipeline.Caller;
import dev.arbiter.pipeline.Deadline;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Pipeline;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.ServedBy;
import dev.arbiter.pipeline.Stage;
import dev.arbiter.wire.Json;
import dev.arbiter.wire.TokenCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The input tokens counted for the rate limits' estimate are handed on, so the budgets' estimate does not count again. */
class InputTokensTest {
    private static final LlmRequest REQUEST = request("Explain in two sentences why open-loop load generators avoid coordinated omission.");

    private static LlmRequest request(String text) {
        return LlmRequest.builder(Operation.CHAT, WireFormat.OPENAI_CHAT).model("m").maxTokens(50)
                .messages(List.of(Message.text(Role.SYSTEM, "Be brief."), Message.text(Role.USER, text))).build();
    }

    private static Exchange exchange(LlmRequest req) {
        return Exchange.of("r", Caller.ANONYMOUS, req, Deadline.after(Duration.ofSeconds(10), System::nanoTime), Map.of());
    }

    /** Runs the rate-limit stage with these global limits; returns what the stage after it saw. */
    private static Optional<InputTokens> seenAfter(LimitSpec global) {
        var config = new RateLimitConfig(Rule.Algorithm.TOKEN_BUCKET, Rule.Store.MEMORY, 1, "t:", global, LimitSpec.NONE, Map.of(),
                LimitSpec.NONE, Map.of());
        var limits = new RateLimits(config, null, Optional::of, new SimpleMeterRegistry(), System::nanoTime);
        var seen = new ArrayList<Optional<InputTokens>>();
        Stage end = (ex, next) -> {
            seen.add(ex.attribute(InputTokens.KEY));
            return new Reply.Complete(new LlmResponse("x", "m", 0, List.of(), Usage.of(10, 10), WireFormat.OPENAI_CHAT, Json.object()),
                    new ServedBy("m", "d", "mock"));
        };
        new Pipeline(List.of(new RateLimitStage(limits), end)).handle(exchange(REQUEST));
        return seen.getFirst();
    }

    @Test
    void rateLimitStage_tokenRule_handsTheCountToTheStagesAfter() {
        var seen = seenAfter(new LimitSpec(LimitSpec.of(0, 0, 0, 1_000_000, Rule.Algorithm.TOKEN_BUCKET, 1, Rule.Store.MEMORY), 0));
        assertThat(seen).isPresent();
        assertThat(seen.get().request()).isSameAs(REQUEST);
        assertThat(seen.get().count()).isEqualTo(TokenCounter.countInput(REQUEST));
    }

    @Test
    void rateLimitStage_requestRulesOnly_countsNothing() {
        assertThat(seenAfter(new LimitSpec(LimitSpec.of(0, 1000, 0, 0, Rule.Algorithm.TOKEN_BUCKET, 1, Rule.Store.MEMORY), 0))).isEmpty();
    }

    @Test
    void of_countOnTheExchange_usedForItsRequest_countedAgainForARewrittenOne() {
        Exchange ex = exchange(REQUEST).with(InputTokens.KEY, new InputTokens(REQUEST, 999_999));
        assertThat(InputTokens.of(ex)).isEqualTo(999_999);
        LlmRequest rewritten = request("Something else entirely, and longer than the first request was.");
        assertThat(InputTokens.of(ex.withRequest(rewritten))).isEqualTo(TokenCounter.countInput(rewritten));
        assertThat(InputTokens.of(exchange(REQUEST))).isEqualTo(TokenCounter.countInput(REQUEST));
    }
}
