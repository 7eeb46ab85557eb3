package dev.arbiter.observe;

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
import dev.arbiter.pipeline.Trace;
import dev.arbiter.wire.Json;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What tracing costs a request in the pipeline: ten pass-through stages (as many as the gateway runs) in front of an
 * attempt step that records one attempt and hands its provider the exchange, as {@code AttemptStage} does. {@code off}:
 * no tracing (the default config); {@code on}: the trace stage in front, every request sampled, its 13 spans written
 * and queued to a BatchSpanProcessor whose exporter drops them (the OTLP encoding and sending happen on the export
 * thread, not the request's). Run with {@code -prof gc} for the allocation per request.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "-Xms256m", "-Xmx256m"})
public class TracingBenchmark {
    @Param({"off", "on"})
    public String mode;

    private Pipeline pipeline;
    private LlmRequest request;
    private Tracing tracing;
    private final LongAdder exported = new LongAdder();

    /** A stage that passes the request on, named like one of the gateway's. */
    private record Pass(String name) implements Stage {
        @Override
        public Reply apply(Exchange exchange, Chain next) {
            return next.proceed(exchange);
        }
    }

    @Setup
    public void setUp() {
        var answer = new Reply.Complete(new LlmResponse("x", "bench-chat", 0, List.of(), Usage.of(10, 10), WireFormat.OPENAI_CHAT,
                Json.object()), new ServedBy("bench-chat", "mock", "openai"));
        Stage attempt = (ex, next) -> {
            Trace.Attempt a = ex.trace().begin("bench-chat", "mock", "openai");
            Exchange sent = a.propagate(ex);
            a.responseModel(answer.response().model());
            a.end(200, null);
            return sent.request() == null ? null : answer;
        };
        var stages = new ArrayList<Stage>();
        if (mode.equals("on")) {
            SpanExporter drop = new SpanExporter() {
                @Override
                public CompletableResultCode export(Collection<SpanData> spans) {
                    exported.add(spans.size());
                    return CompletableResultCode.ofSuccess();
                }

                @Override
                public CompletableResultCode flush() {
                    return CompletableResultCode.ofSuccess();
                }

                @Override
                public CompletableResultCode shutdown() {
                    return CompletableResultCode.ofSuccess();
                }
            };
            var config = new OtlpConfig(URI.create("http://127.0.0.1:4318"), Map.of(), 1.0, "bench", Duration.ofSeconds(10), 1_000_000,
                    Duration.ofMillis(100));
            tracing = new Tracing(config, drop, (m, d) -> Optional.empty(), InstantSource.system());
            stages.add(tracing.stage());
        }
        for (String n : List.of("observe", "authenticate", "decide", "ratelimit", "budget", "admit", "responses", "cache",
                "singleflight", "route")) {
            stages.add(new Pass(n));
        }
        stages.add(attempt);
        pipeline = new Pipeline(stages);
        request = ChatCodec.decodeRequest((com.fasterxml.jackson.databind.node.ObjectNode) Json.parse(
                "{\"model\":\"bench-chat\",\"max_tokens\":128,\"temperature\":0.2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
    }

    @TearDown
    public void tearDown() {
        if (tracing != null) {
            tracing.close();
            System.out.println("spans exported: " + exported.sum());
        }
    }

    @Benchmark
    public Reply request() {
        Exchange ex = Exchange.of("r", Caller.ANONYMOUS, request, Deadline.after(Duration.ofSeconds(30), System::nanoTime), Map.of());
        return pipeline.handle(ex);
    }
}
