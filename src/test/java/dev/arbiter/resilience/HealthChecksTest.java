package dev.arbiter.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.cli.Sections;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.mock.MockProvider;
import dev.arbiter.provider.Deployment;
import dev.arbiter.route.ModelRegistry;
import dev.arbiter.route.UpstreamState;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The health checks' invariants, with a probe whose answers the test sets: probes run only while the breaker is
 * {@code OPEN} (not closed, not forced open), one at a time per deployment, at the interval; a success moves the
 * breaker to half-open; a probe that hangs is abandoned at the timeout; closing stops them all. The probes over real
 * HTTP are {@code e2e.HealthChecksE2eTest}.
 */
class HealthChecksTest {
    private static final String YAML = """
            models:
              - name: m
                deployments:
                  - {name: a, provider: mock, circuit-breaker: {minimum-calls: 2, sliding-window: 4, open-for: 1h, half-open-calls: 1,
                                                                health-check: {probe: completion, interval: 20ms, timeout: 100ms}}}
                  - {name: plain, provider: mock, circuit-breaker: {minimum-calls: 2, sliding-window: 4, open-for: 1h}}
            """;

    private final ModelRegistry registry = new ModelRegistry(Sections.loader(k -> null)
            .parse(new ByteArrayInputStream(YAML.getBytes(StandardCharsets.UTF_8)), "test.yaml"),
            d -> new MockProvider(d.section(MockConfig.SECTION)), d -> WireFormat.OPENAI_CHAT);
    private final AtomicLong now = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicInteger probes = new AtomicInteger();
    private final AtomicInteger probedWhileNotOpen = new AtomicInteger();
    private final AtomicBoolean healthy = new AtomicBoolean();
    private final AtomicLong hangMillis = new AtomicLong(5);
    private Breakers breakers;

    private final HealthProbe probe = (d, embeddings, config) -> {
        probes.incrementAndGet();
        if (breakers.state(d.model() + "/" + d.name()).orElseThrow() != CircuitBreaker.State.OPEN) probedWhileNotOpen.incrementAndGet();
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        try {
            Thread.sleep(hangMillis.get());
            return new HealthProbe.Result(healthy.get(), healthy.get() ? "ok" : "down");
        } finally {
            inFlight.decrementAndGet();
        }
    };

    @AfterEach
    void close() {
        if (breakers != null) breakers.close();
        registry.close();
    }

    private Deployment d(String name) {
        return registry.deployment("m", name).orElseThrow();
    }

    private void open(String name) {
        for (int i = 0; i < 2; i++) {
            breakers.enter(d(name)).failed(new ArbiterException.Upstream(503, "down", "upstream_http_503", null));
        }
        assertThat(breakers.state(name)).hasValue(CircuitBreaker.State.OPEN);
    }

    private static void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!cond.getAsBoolean() && System.nanoTime() < until) Thread.sleep(5);
        assertThat(cond.getAsBoolean()).as("condition within 5 s").isTrue();
    }

    @Test
    void openBreaker_isProbedAtTheInterval_oneAtATime_andNeverOnceClosed() throws Exception {
        breakers = Breakers.of(registry, now::get, UpstreamState.NONE, probe, InstantSource.system());
        Thread.sleep(100);
        assertThat(probes.get()).as("no probe while closed").isZero();
        open("a");
        hangMillis.set(30);   // longer than the interval: a second probe must still wait for the first
        waitFor(() -> probes.get() >= 5);
        assertThat(maxInFlight.get()).isEqualTo(1);
        assertThat(breakers.state("a")).as("failed probes keep it open").hasValue(CircuitBreaker.State.OPEN);

        breakers.act("a", "reset");
        Thread.sleep(60);   // a probe under way when it was reset ends
        int after = probes.get();
        Thread.sleep(150);
        assertThat(probes.get()).as("no probe once closed").isEqualTo(after);
        assertThat(probedWhileNotOpen.get()).isZero();
        assertThat(breakers.view().toString()).contains("\"probing\":false");
    }

    @Test
    void successfulProbe_movesTheBreakerToHalfOpen_andTheNextCallClosesIt() throws Exception {
        breakers = Breakers.of(registry, now::get, UpstreamState.NONE, probe, InstantSource.system());
        open("a");
        waitFor(() -> probes.get() >= 2);
        assertThat(breakers.state("a")).hasValue(CircuitBreaker.State.OPEN);
        healthy.set(true);
        waitFor(() -> breakers.state("a").orElseThrow() == CircuitBreaker.State.HALF_OPEN);
        breakers.enter(d("a")).succeeded();
        assertThat(breakers.state("a")).hasValue(CircuitBreaker.State.CLOSED);
        var view = breakers.view().path("breakers").get(0).path("health_check");
        assertThat(view.path("last_probe_ok").asBoolean()).isTrue();
        assertThat(view.path("last_probe").asText()).isEqualTo("ok");
        assertThat(view.path("probe").asText()).isEqualTo("completion");

        // a failed half-open call opens it again, and the checks start again
        healthy.set(false);
        int before = probes.get();
        open("a");
        waitFor(() -> probes.get() >= before + 2);
    }

    @Test
    void forcedOpen_andBreakersWithoutAHealthCheck_areNeverProbed() throws Exception {
        breakers = Breakers.of(registry, now::get, UpstreamState.NONE, probe, InstantSource.system());
        breakers.act("a", "open");
        open("plain");
        Thread.sleep(150);
        assertThat(probes.get()).isZero();
        assertThat(breakers.view().path("breakers").get(1).has("health_check")).isFalse();
    }

    @Test
    void hangingProbe_isAbandonedAtTheTimeout_andClosingStopsEveryProbe() throws Exception {
        breakers = Breakers.of(registry, now::get, UpstreamState.NONE, probe, InstantSource.system());
        hangMillis.set(10_000);
        open("a");
        waitFor(() -> probes.get() >= 2);   // the first was given up after 100 ms, so a second came
        waitFor(() -> breakers.view().toString().contains("no answer within 100 ms"));
        breakers.close();
        waitFor(() -> inFlight.get() == 0);   // the hanging probe was interrupted
        int after = probes.get();
        Thread.sleep(150);
        assertThat(probes.get()).isEqualTo(after);
    }
}
