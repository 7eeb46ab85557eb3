package dev.arbiter.route;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.cli.Sections;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.pipeline.Watchdog;
import dev.arbiter.provider.Upstreams;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Cooldowns per upstream endpoint: shared by the models on one endpoint, apart otherwise, capped, on a fake clock. */
class MemoryUpstreamStateTest {
    private static final String YAML = """
            models:
              - name: x
                deployments:
                  - {name: shared, provider: openai, base-url: "http://127.0.0.1:9/v1"}
                  - {name: other, provider: openai, base-url: "http://127.0.0.1:10/v1"}
              - name: y
                deployments: [{name: same-endpoint, provider: openai, base-url: "http://127.0.0.1:9/v1/"}]
              - name: z
                deployments: [{name: in-process, provider: mock}]
            """;

    private final AtomicLong now = new AtomicLong(-5_000_000_000L);
    private final Watchdog watchdog = new Watchdog("test-watchdog", now::get);
    private final Upstreams upstreams = new Upstreams(watchdog);
    private final ModelRegistry registry = new ModelRegistry(Sections.loader(k -> null)
            .parse(new ByteArrayInputStream(YAML.getBytes(StandardCharsets.UTF_8)), "t.yaml"), d -> null, d -> WireFormat.OPENAI_CHAT);
    private final MemoryUpstreamState state = new MemoryUpstreamState(upstreams, now::get);

    @AfterEach
    void close() {
        upstreams.close();
        watchdog.close();
    }

    @Test
    void cooldown_sharedByEveryModelOnTheEndpoint_apartFromOtherEndpoints() {
        var shared = registry.deployment("x", "shared").orElseThrow();
        var sameEndpoint = registry.deployment("y", "same-endpoint").orElseThrow();
        var other = registry.deployment("x", "other").orElseThrow();
        var mock = registry.deployment("z", "in-process").orElseThrow();
        assertThat(state.cooldown(shared)).isZero();
        state.coolDown(shared, Duration.ofSeconds(2));
        assertThat(state.cooldown(sameEndpoint)).isEqualTo(Duration.ofSeconds(2));
        assertThat(state.cooldown(other)).isZero();
        assertThat(state.cooldown(mock)).isZero();
        now.addAndGet(Duration.ofMillis(1500).toNanos());
        assertThat(state.cooldown(shared)).isEqualTo(Duration.ofMillis(500));
        state.coolDown(sameEndpoint, Duration.ofMillis(100));
        assertThat(state.cooldown(shared)).as("the later end is kept").isEqualTo(Duration.ofMillis(500));
        now.addAndGet(Duration.ofMillis(500).toNanos());
        assertThat(state.cooldown(shared)).isZero();
    }

    @Test
    void cooldown_cappedAtTheMaximum_andNonsenseIgnored() {
        var mock = registry.deployment("z", "in-process").orElseThrow();
        state.coolDown(mock, Duration.ofDays(1));
        assertThat(state.cooldown(mock)).isEqualTo(UpstreamState.MAX_COOLDOWN);
        var other = registry.deployment("x", "other").orElseThrow();
        state.coolDown(other, Duration.ofSeconds(-1));
        state.coolDown(other, null);
        assertThat(state.cooldown(other)).isZero();
    }
}
