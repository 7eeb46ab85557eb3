package dev.arbiter.dedup;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.chat.ChatCodec;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.RequestKey;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.pipeline.Caller;
import dev.arbiter.pipeline.Deadline;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.ServedBy;
import dev.arbiter.wire.Json;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The single-flight stage's own cost when there is no duplicate, on the chat request {@code arbiter bench} sends (a
 * system prompt and a question): {@code key} is {@link RequestKey#of} alone, {@code keyAndMap} adds the map's
 * claim and release, {@code stage} is the whole stage around a chain that answers at once (eligibility, key, map, the
 * flight's bookkeeping). With {@code temperature} 0.2 the request samples and is not shared: the stage only checks.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "-Xms256m", "-Xmx256m"})
public class SingleFlightBenchmark {
    @Param({"0", "0.2"})
    public String temperature;

    private LlmRequest request;
    private Exchange exchange;
    private SingleFlightStage stage;
    private Reply answer;
    private final ConcurrentHashMap<RequestKey, Object> map = new ConcurrentHashMap<>();

    @Setup
    public void setUp() {
        String body = "{\"model\":\"bench-chat\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a concise assistant that "
                + "answers questions about distributed systems.\"},{\"role\":\"user\",\"content\":\"In two sentences, explain why "
                + "open-loop load generators avoid coordinated omission.\"}],\"max_tokens\":128,\"temperature\":" + temperature + "}";
        request = ChatCodec.decodeRequest((ObjectNode) Json.parse(body));
        exchange = Exchange.of("req-1", Caller.ANONYMOUS, request, Deadline.after(Duration.ofMinutes(10), System::nanoTime), Map.of())
                .withCaller(new Caller("caller-0123456789abcdef"));
        stage = new SingleFlightStage(Map.of("bench-chat", SingleFlightConfig.DEFAULT), Optional::of, new SimpleMeterRegistry());
        answer = new Reply.Complete(new LlmResponse("id", "bench-chat", 0, List.of(), null, WireFormat.OPENAI_CHAT, null),
                new ServedBy("bench-chat", "d", "openai"));
    }

    @Benchmark
    public RequestKey key() {
        return RequestKey.of(request, "caller-0123456789abcdef");
    }

    @Benchmark
    public boolean keyAndMap() {
        RequestKey k = RequestKey.of(request, "caller-0123456789abcdef");
        Object mine = new Object();
        boolean led = map.putIfAbsent(k, mine) == null;
        map.remove(k, mine);
        return led;
    }

    @Benchmark
    public Reply stage() {
        return stage.apply(exchange, ex -> answer);
    }
}
