package dev.arbiter.route;

import dev.arbiter.reasoning.ReasoningEnvelope;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arbiter.config.ConfigLoader;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.Role;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockProvider;
import dev.arbiter.pipeline.Caller;
import dev.arbiter.pipeline.Deadline;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Pipeline;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.provider.Deployment;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The attempt step works through the route's plan as its policy says and records every attempt in the trace: a
 * model whose first deployment always fails and whose second answers, in process, through the real providers.
 */
class AttemptStageTest {
    private static final String YAML = """
            models:
              - name: m
                deployments:
                  - {name: down, provider: mock, mock: {faults: {error-rate: 1.0, error-statuses: [503]}}}
                  - {name: up, provider: mock}
            """;
    /** Ranks deployments in config order, so the test knows which is tried first. */
    private static final DeploymentSelector IN_ORDER = (model, exchange) -> model.deployments();
    /** Tries the next candidate of the plan at once, until none is left. */
    private static final AttemptPolicy NEXT_CANDIDATE = (plan, attempts, failure, remaining) -> attempts.size() < plan.candidates().size()
            ? new AttemptPolicy.Retry(plan.candidates().get(attempts.size()), Duration.ZERO)
            : new AttemptPolicy.GiveUp();

    private final ModelRegistry registry = new ModelRegistry(new ConfigLoader(k -> null, List.of(MockConfig.SECTION))
            .parse(new ByteArrayInputStream(YAML.getBytes(StandardCharsets.UTF_8)), "test.yaml"), d -> new MockProvider(d.section(MockConfig.SECTION)),
            d -> WireFormat.OPENAI_CHAT);

    @AfterEach
    void close() {
        registry.close();
    }

    private static Exchange exchange(boolean stream) {
        var req = LlmRequest.builder(Operation.CHAT, WireFormat.OPENAI_CHAT).model("m").stream(stream)
                .messages(List.of(Message.text(Role.USER, "hello"))).build();
        return Exchange.of("r1", Caller.ANONYMOUS, req, Deadline.after(Duration.ofSeconds(10), System::nanoTime), Map.of());
    }

    private Pipeline pipeline(AttemptPolicy policy) {
        return new Pipeline(List.of(new RouteStage(registry, IN_ORDER), new AttemptStage(policy, new ReasoningEnvelope(ReasoningEnvelope.randomKey()))));
    }

    @Test
    void apply_once_failureIsRecordedWithItsDeployment() {
        var ex = exchange(false);
        assertThatThrownBy(() -> pipeline(AttemptPolicy.ONCE).handle(ex)).isInstanceOf(ArbiterException.class);
        var attempts = ex.trace().attempts();
        assertThat(attempts).singleElement().satisfies(a -> {
            assertThat(a.deployment()).isEqualTo("down");
            assertThat(a.model()).isEqualTo("m");
            assertThat(a.provider()).isEqualTo("mock");
            assertThat(a.status()).isEqualTo(503);
            assertThat(a.error()).isNotNull();
            assertThat(a.endNanos()).isGreaterThanOrEqualTo(a.startNanos());
        });
        assertThat(ex.trace().decision()).hasValueSatisfying(d -> assertThat(d.candidates()).containsExactly("down", "up"));
    }

    @Test
    void apply_retryPolicy_triesTheNextCandidateAndRecordsBoth() {
        var ex = exchange(false);
        Reply reply = pipeline(NEXT_CANDIDATE).handle(ex);
        assertThat(reply.servedBy().deployment()).isEqualTo("up");
        assertThat(ex.trace().attempts()).extracting(a -> a.deployment() + ":" + a.succeeded())
                .containsExactly("down:false", "up:true");
        assertThat(ex.trace().stageTimes()).containsOnlyKeys("route", "attempt");
    }

    @Test
    void apply_stream_endIsRecordedWhenTheStreamCloses() {
        var ex = exchange(true);
        Reply reply = pipeline(NEXT_CANDIDATE).handle(ex);
        assertThat(reply).isInstanceOf(Reply.Streaming.class);
        var stream = ((Reply.Streaming) reply).stream();
        assertThat(ex.trace().lastAttempt()).hasValueSatisfying(a -> assertThat(a.endNanos()).isEqualTo(-1));
        while (stream.hasNext()) stream.next();
        stream.close();
        assertThat(ex.trace().lastAttempt()).hasValueSatisfying(a -> {
            assertThat(a.deployment()).isEqualTo("up");
            assertThat(a.firstByteNanos()).isPositive();
            assertThat(a.succeeded()).isTrue();
        });
    }

    @Test
    void apply_retryAfterLongerThanTheDeadline_givesUpAtOnce() {
        AttemptPolicy slow = (plan, attempts, failure, remaining) -> new AttemptPolicy.Retry(plan.candidates().get(1), Duration.ofHours(1));
        var ex = exchange(false);
        long start = System.nanoTime();
        assertThatThrownBy(() -> pipeline(slow).handle(ex)).isInstanceOf(ArbiterException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(ex.trace().attempts()).hasSize(1);
    }

    @Test
    void weightedRandom_ranksEveryDeploymentOnce() {
        var model = registry.resolve("m");
        for (int i = 0; i < 50; i++) {
            assertThat(DeploymentSelector.weightedRandom().rank(model, exchange(false))).extracting(Deployment::name)
                    .containsExactlyInAnyOrder("down", "up");
        }
    }
}
