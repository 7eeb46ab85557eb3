package dev.arbiter.bench;

import dev.arbiter.auth.AuthConfig;
import dev.arbiter.auth.AuthenticateStage;
import dev.arbiter.auth.CallerResolver;
import dev.arbiter.auth.Credential;
import dev.arbiter.auth.Keys;
import dev.arbiter.auth.MemoryKeyStore;
import dev.arbiter.auth.StaticKeys;
import dev.arbiter.chat.ChatCodec;
import dev.arbiter.cli.Sections;
import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.db.Redis;
import dev.arbiter.db.RedisConfig;
import dev.arbiter.limit.RateLimitConfig;
import dev.arbiter.limit.RateLimitStage;
import dev.arbiter.limit.RateLimits;
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
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What authentication and rate limits add to a request: the authenticate and rate-limit stages in front of a stage
 * that answers at once. {@code off}: auth off, no limits (the stages as the default config runs them); {@code memory}:
 * a static key required, a key rpm limit and a global rps limit counted in memory; {@code redis}: the same limits in
 * the Redis on 127.0.0.1:6379 (two script runs per request).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC", "-Xms256m", "-Xmx256m"})
public class AdmissionBenchmark {
    private static final String KEY = "sk-bench-0123456789abcdef0123";

    @Param({"off", "memory", "redis"})
    public String mode;

    private Pipeline pipeline;
    private LlmRequest request;
    private Redis redis;

    @Setup
    public void setUp() {
        String limits = mode.equals("off") ? "" : """
                auth: {mode: required}
                keys: [{name: bench, key: "%s", limits: {rpm: 1000000000}}]
                rate-limits: {store: %s, key-prefix: "bench:%s:", global: {rps: 1000000000}}
                """.formatted(KEY, mode.equals("redis") ? "redis" : "memory", UUID.randomUUID());
        ArbiterConfig cfg = Sections.loader(k -> null).parse(new ByteArrayInputStream((limits
                + "models: [{name: m, deployments: [{provider: mock}]}]\n").getBytes(StandardCharsets.UTF_8)), "bench.yaml");
        AuthConfig auth = cfg.section(AuthConfig.SECTION);
        var keys = new Keys(cfg.section(StaticKeys.SECTION), new MemoryKeyStore(), auth.keyCacheTtl(), InstantSource.system());
        redis = mode.equals("redis") ? new Redis(new RedisConfig("redis://127.0.0.1:6379", Duration.ofSeconds(1), Duration.ofSeconds(2))) : null;
        var answer = new Reply.Complete(new LlmResponse("x", "m", 0, List.of(), Usage.of(10, 10), WireFormat.OPENAI_CHAT, Json.object()),
                new ServedBy("m", "mock", "mock"));
        Stage end = (ex, next) -> answer;
        pipeline = new Pipeline(List.of(
                new AuthenticateStage(auth.mode(), keys, CallerResolver.random()),
                new RateLimitStage(new RateLimits(cfg.section(RateLimitConfig.SECTION), redis, Optional::of, new SimpleMeterRegistry(), System::nanoTime)),
                end));
        request = ChatCodec.decodeRequest((com.fasterxml.jackson.databind.node.ObjectNode) Json.parse(Scenarios.chat(false)));
    }

    @TearDown
    public void tearDown() {
        if (redis != null) redis.close();
    }

    @Benchmark
    public Reply admit() {
        Exchange ex = Exchange.of("r", Caller.ANONYMOUS, request, Deadline.after(Duration.ofSeconds(30), System::nanoTime), Map.of())
                .with(Credential.KEY, new Credential(Optional.of("Bearer " + KEY), Optional.empty()));
        return pipeline.handle(ex);
    }
}
