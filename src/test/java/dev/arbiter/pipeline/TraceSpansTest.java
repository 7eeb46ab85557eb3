package dev.arbiter.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.chat.ChatCodec;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.wire.Json;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A trace keeps spans only once a context is set: each stage run with the run it ran inside (a stage that calls the
 * rest twice, as a retry does, gives two runs of every inner stage), each attempt with its own span id and the stage run
 * it was made in; the times are the pipeline's clock readings.
 */
class TraceSpansTest {
    private static final LlmRequest REQUEST = ChatCodec.decodeRequest((com.fasterxml.jackson.databind.node.ObjectNode) Json.parse(
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
    private static final TraceContext CONTEXT = new TraceContext("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", null, true, null);

    private record Named(String name, Stage body) implements Stage {
        @Override
        public Reply apply(Exchange exchange, Chain next) {
            return body.apply(exchange, next);
        }
    }

    private static Exchange exchange(AtomicLong clock) {
        return Exchange.of("r", Caller.ANONYMOUS, REQUEST, Deadline.after(Duration.ofSeconds(30), clock::incrementAndGet), Map.of());
    }

    /** trace (sets the context) > retry (calls the rest twice; the first fails) > inner > attempt (one attempt each time). */
    private static Pipeline pipeline(boolean setContext) {
        int[] calls = {0};
        return new Pipeline(List.of(
                new Named("trace", (ex, next) -> {
                    if (setContext) ex.trace().context(CONTEXT);
                    return next.proceed(ex);
                }),
                new Named("retry", (ex, next) -> {
                    try {
                        return next.proceed(ex);
                    } catch (ArbiterException e) {
                        return next.proceed(ex);
                    }
                }),
                new Named("inner", (ex, next) -> next.proceed(ex)),
                new Named("attempt", (ex, next) -> {
                    Trace.Attempt a = ex.trace().begin("m", "d" + calls[0], "mock");
                    assertThat(a.propagate(ex).attribute(TraceContext.UPSTREAM)).isEqualTo(a.context());
                    if (calls[0]++ == 0) {
                        a.end(502, "upstream_http_500");
                        throw new ArbiterException.Upstream(502, "boom", "upstream_http_500", null);
                    }
                    a.end(200, null);
                    return null;
                })));
    }

    @Test
    void withContext_runsNestedAsTheyRan_attemptsUnderTheirRun() {
        AtomicLong clock = new AtomicLong();
        Exchange ex = exchange(clock);
        pipeline(true).handle(ex);
        Trace.Spans spans = ex.trace().spans().orElseThrow();
        assertThat(spans.context()).isEqualTo(CONTEXT);
        // the trace stage set the context inside its own run: its run is not kept (it is the request's span)
        assertThat(spans.stages()).extracting(Trace.StageSpan::stage).containsExactly("retry", "inner", "attempt", "inner", "attempt");
        assertThat(spans.stages()).extracting(Trace.StageSpan::parent).containsExactly(-1, 0, 1, 0, 3);
        assertThat(spans.stages()).extracting(Trace.StageSpan::failed).containsExactly(false, true, true, false, false);
        for (Trace.StageSpan s : spans.stages()) {
            assertThat(s.endNanos()).isGreaterThan(s.startNanos());
            if (s.parent() >= 0) {
                Trace.StageSpan p = spans.stages().get(s.parent());
                assertThat(s.startNanos()).isGreaterThan(p.startNanos());
                assertThat(s.endNanos()).isLessThan(p.endNanos());
            }
        }
        assertThat(spans.attempts()).hasSize(2);
        assertThat(spans.attempts()).extracting(Trace.AttemptSpan::parentStage).containsExactly(2, 4);
        for (Trace.AttemptSpan a : spans.attempts()) {
            assertThat(a.context().traceId()).isEqualTo(CONTEXT.traceId());
            assertThat(a.context().parentSpanId()).isEqualTo(CONTEXT.spanId());
            assertThat(a.context().spanId()).matches("[0-9a-f]{16}").isNotEqualTo(CONTEXT.spanId());
            assertThat(a.context().traceparent()).isEqualTo("00-" + CONTEXT.traceId() + "-" + a.context().spanId() + "-01");
        }
        assertThat(spans.attempts().get(0).context().spanId()).isNotEqualTo(spans.attempts().get(1).context().spanId());
        // the stage times are kept as before
        assertThat(ex.trace().stageTimes()).containsOnlyKeys("trace", "retry", "inner", "attempt");
    }

    @Test
    void withoutContext_noSpansKept_attemptsCarryNoContext() {
        Exchange ex = exchange(new AtomicLong());
        pipeline(false).handle(ex);
        assertThat(ex.trace().spans()).isEmpty();
        assertThat(ex.trace().context()).isEmpty();
        assertThat(ex.trace().attempts()).hasSize(2);
        assertThat(ex.trace().stageTimes()).containsOnlyKeys("trace", "retry", "inner", "attempt");
    }

    @Test
    void unsampledContext_attemptsGetIdsButNoStageRuns() {
        Exchange ex = exchange(new AtomicLong());
        ex.trace().context(new TraceContext(CONTEXT.traceId(), CONTEXT.spanId(), null, false, null));
        Trace.Attempt a = ex.trace().begin("m", "d", "mock");
        assertThat(a.context()).hasValueSatisfying(c -> assertThat(c.traceparent()).endsWith("-00"));
        assertThat(a.wantsResponseModel()).isFalse();
        assertThat(ex.trace().spans().orElseThrow().stages()).isEmpty();
    }
}
