package dev.arbiter.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.chat.ChatCodec;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
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
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * Spans that never reach the collector are counted ({@code arbiter_spans_dropped_total{reason}}): those a full queue
 * turns away and those of a failed export; every span a request finished is either exported or counted.
 */
class TracingDropsTest {
    private static final LlmRequest REQUEST = ChatCodec.decodeRequest((com.fasterxml.jackson.databind.node.ObjectNode) Json.parse(
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));

    /** An exporter that records what it got, fails while {@code failing}, and holds its first export until {@code release}. */
    private static final class Collector implements SpanExporter {
        final LongAdder received = new LongAdder();
        final AtomicBoolean failing = new AtomicBoolean();
        final CountDownLatch release;
        final CountDownLatch holding = new CountDownLatch(1);

        Collector(boolean hold) {
            release = new CountDownLatch(hold ? 1 : 0);
        }

        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            holding.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            received.add(spans.size());
            return failing.get() ? CompletableResultCode.ofFailure() : CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }

    private static Tracing tracing(Collector exporter, int queueSize) {
        var config = new OtlpConfig(URI.create("http://127.0.0.1:4318"), Map.of(), 1.0, "test", Duration.ofSeconds(10), queueSize,
                Duration.ofMillis(50));
        return new Tracing(config, exporter, (m, d) -> Optional.empty(), InstantSource.system());
    }

    /** Sends one request through the trace stage and an attempt. */
    private static void request(Pipeline pipeline) {
        pipeline.handle(Exchange.of("r", Caller.ANONYMOUS, REQUEST, Deadline.after(Duration.ofSeconds(30), System::nanoTime), Map.of()));
    }

    private static Pipeline pipeline(Tracing tracing) {
        var answer = new Reply.Complete(new LlmResponse("x", "m", 0, List.of(), Usage.of(1, 1), WireFormat.OPENAI_CHAT, Json.object()),
                new ServedBy("m", "d", "openai"));
        Stage attempt = (ex, next) -> {
            var a = ex.trace().begin("m", "d", "openai");
            a.end(200, null);
            return answer;
        };
        return new Pipeline(List.of(tracing.stage(), attempt));
    }

    private static double dropped(SimpleMeterRegistry registry, String reason) {
        return registry.get(Metrics.SPANS_DROPPED).tag("reason", reason).functionCounter().count();
    }

    @Test
    void failedExports_areCountedSpanBySpan() {
        var exporter = new Collector(false);
        exporter.failing.set(true);
        var registry = new SimpleMeterRegistry();
        try (var tracing = tracing(exporter, 1000)) {
            tracing.register(registry);
            var pipeline = pipeline(tracing);
            for (int i = 0; i < 10; i++) request(pipeline);
            tracing.flush(Duration.ofSeconds(10));
            assertThat(exporter.received.sum()).isGreaterThanOrEqualTo(20);
            assertThat(dropped(registry, "export_failed")).isEqualTo(exporter.received.sum());
            assertThat(dropped(registry, "queue_full")).isZero();
        }
    }

    @Test
    void aFullQueue_dropsWholeRequestsSpans_andCountsThem_soEverySpanIsExportedOrCounted() throws Exception {
        long perRequest = spansPerRequest();
        var exporter = new Collector(true);
        var registry = new SimpleMeterRegistry();
        try (var tracing = tracing(exporter, 20)) {
            tracing.register(registry);
            var pipeline = pipeline(tracing);
            request(pipeline);
            assertThat(exporter.holding.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();   // the export thread is held
            for (int i = 0; i < 49; i++) request(pipeline);
            long full = (long) dropped(registry, "queue_full");
            assertThat(full).isPositive();
            assertThat(full % perRequest).as("a request's spans go or stay together").isZero();
            exporter.release.countDown();
            assertThat(tracing.flush(Duration.ofSeconds(10))).isTrue();
            assertThat(exporter.received.sum() + full).isEqualTo(50 * perRequest);
            assertThat(dropped(registry, "export_failed")).isZero();
        }
    }

    /** The spans one request makes here (its own, the stage run, the attempt): every request makes as many. */
    private static long spansPerRequest() {
        var exporter = new Collector(false);
        try (var tracing = tracing(exporter, 1000)) {
            request(pipeline(tracing));
            assertThat(tracing.flush(Duration.ofSeconds(10))).isTrue();
        }
        assertThat(exporter.received.sum()).isGreaterThanOrEqualTo(2);
        return exporter.received.sum();
    }
}
